import { decodeUlidTime, ulid } from "./ulid.ts";

export const OPERATION_ID_PATTERN = /^op_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * A new operation id: `op_` and a ULID whose time part IS the acceptance time (read it back with
 * {@link acceptedAtOf}), so that a lookup by id knows which daily partition of `operations` holds it.
 * Ids made in the same millisecond stay ordered (monotonic ULIDs); the time part then may run a
 * millisecond ahead of the clock, which is why the time is always read from the id, never kept apart.
 *
 * @example
 * const id = newOperationId(); // "op_01KB3Z8Q6M2Y9W4T7R5N1C0D8F"
 * acceptedAtOf(id)             // 2026-11-27T06:00:00.000Z
 */
export function newOperationId(): string {
  return `op_${ulid()}`;
}

/** The acceptance time of an operation: the time part of its id. */
export function acceptedAtOf(id: string): Date {
  return new Date(operationIdTime(id));
}

export function isOperationId(value: string): boolean {
  return OPERATION_ID_PATTERN.test(value);
}

/** The acceptance time (ms since epoch) encoded in an operation id. */
export function operationIdTime(id: string): number {
  return decodeUlidTime(id.slice(3));
}
