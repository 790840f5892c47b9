import { decodeUlidTime, ulid } from "./ulid.ts";

const BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** `op_`, a ULID (26 characters) and the partition (2 characters of base32, so at most 1024). */
export const OPERATION_ID_PATTERN = /^op_[0-9A-HJKMNP-TV-Z]{28}$/;
const MAX_ID_PARTITIONS = 1024;

/**
 * A new operation id: `op_`, a ULID whose time part IS the acceptance time (read it back with
 * {@link acceptedAtOf}), and the partition whose queue applies it (read it back with
 * {@link partitionOfOperationId}). A lookup by id thus knows the daily partition of `operations`
 * that holds it and the Redis records of its partition, without any index.
 * Ids made in the same millisecond stay ordered (monotonic ULIDs); the time part then may run a
 * millisecond ahead of the clock, which is why the time is always read from the id, never kept apart.
 *
 * @example
 * const id = newOperationId(7); // "op_01KB3Z8Q6M2Y9W4T7R5N1C0D8F07"
 * acceptedAtOf(id)              // 2026-11-27T06:00:00.000Z
 * partitionOfOperationId(id)    // 7
 */
export function newOperationId(partition = 0): string {
  if (!Number.isInteger(partition) || partition < 0 || partition >= MAX_ID_PARTITIONS) {
    throw new RangeError(`partition ${partition} outside 0..${MAX_ID_PARTITIONS - 1}`);
  }
  return `op_${ulid()}${BASE32[partition >> 5]}${BASE32[partition & 31]}`;
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

/** The partition encoded in an operation id. */
export function partitionOfOperationId(id: string): number {
  return BASE32.indexOf(id.charAt(29)) * 32 + BASE32.indexOf(id.charAt(30));
}
