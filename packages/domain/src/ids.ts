import { decodeTime, monotonicFactory } from "ulidx";

const nextUlid = monotonicFactory();

export const OPERATION_ID_PATTERN = /^op_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * A new operation id: `op_` and a ULID whose time part is the acceptance time, so that a lookup by
 * id knows which daily partition of `operations` holds it.
 *
 * @example
 * newOperationId(Date.parse("2026-11-27T06:00:00Z")) // "op_01KB..."
 */
export function newOperationId(acceptedAtMs: number = Date.now()): string {
  return `op_${nextUlid(acceptedAtMs)}`;
}

export function isOperationId(value: string): boolean {
  return OPERATION_ID_PATTERN.test(value);
}

/** The acceptance time (ms since epoch) encoded in an operation id. */
export function operationIdTime(id: string): number {
  return decodeTime(id.slice(3));
}
