import { createHash } from "node:crypto";
import { operationIdTime, partitionOfOperationId } from "@accounts/domain";
import { partitionKeyPrefix } from "./catalog.ts";
import type { RedisClient } from "./connection.ts";

/**
 * What Redis knows about operations that are not final in PostgreSQL yet ("pending" records), and
 * the idempotency keys. An operation waiting in a job is a `QueuedOperation`; its pending record is
 * what a poll reads until the operation is final.
 *
 * - `{ns}:idem:{clientId}:{sha256(key)}` = `opId|requestHash`, written with SET NX GET before the
 *   operation is queued. It maps a client's Idempotency-Key to the operation id it got the first time.
 * - `{ns}:{ops-07}:pending:{minute}`: a hash per partition and acceptance minute, field = operation
 *   id, value = `clientId|type`: "accepted". Written in the SAME MULTI/EXEC as the job that carries
 *   the operations (storeApplyJob.ts; the key shares the partition queue's hash tag, hence its
 *   Redis Cluster slot), so Redis holds both or neither: an acknowledged operation is always
 *   readable. The worker deletes the fields (one HDEL per job) once the operations are final in
 *   PostgreSQL. The partition and the minute come from the operation id, so a poll finds the field
 *   directly.
 * - `{ns}:failed:{opId}` = `clientId|type|problem`: applying hit an error that retries did not cure.
 *
 * A crash at any point is repaired by the caller's retry: an idempotency record without a pending
 * record means "never queued" (or already final in PostgreSQL), and a retry with the same key
 * queues the same id again. Queuing an id twice is harmless: the worker applies an id once (its
 * primary key in PostgreSQL).
 *
 * One command per job rather than per operation: per-operation records measured at a tenth of the
 * accept path's CPU.
 */

export interface OperationStateStore {
  readonly redis: RedisClient;
  readonly namespace: string;
  /** How long idempotency keys are honoured, and how long an accepted record may wait to be applied. */
  readonly ttlSeconds: number;
}

export type IdempotencyClaim =
  | { kind: "new" }
  | { kind: "existing"; operationId: string; requestHash: string };

export interface PendingOperationRef {
  id: string;
  clientId: string;
  type: string;
}

export type PendingState =
  | { state: "accepted"; clientId: string; acceptedAt: number; type: string }
  | { state: "failed"; clientId: string; acceptedAt: number; type: string; problem: string };

function idemKey(store: OperationStateStore, clientId: string, idempotencyKey: string): string {
  const digest = createHash("sha256").update(idempotencyKey).digest("base64url");
  return `${store.namespace}:idem:${clientId}:${digest}`;
}

/** The pending hash of an operation: its partition's key prefix, and its acceptance minute. */
function pendingKey(store: OperationStateStore, operationId: string): string {
  const prefix = partitionKeyPrefix(store.namespace, partitionOfOperationId(operationId));
  return `${prefix}:pending:${Math.floor(operationIdTime(operationId) / 60_000)}`;
}

function failedKey(store: OperationStateStore, operationId: string): string {
  return `${store.namespace}:failed:${operationId}`;
}

/** Groups operation ids by the pending hash that holds them. */
function byPendingKey<T extends { id: string }>(
  store: OperationStateStore,
  items: readonly T[],
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = pendingKey(store, item.id);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * Claims `idempotencyKey` for `operationId` unless the client used it before; then returns the
 * operation it was used for and the hash of that request.
 *
 * @example
 * await claimIdempotencyKey(store, "client-1", "settle-8812-1", "op_01J...", "9f2c...")
 * // { kind: "new" }, or { kind: "existing", operationId: "op_01H...", requestHash: "77ab..." }
 */
export async function claimIdempotencyKey(
  store: OperationStateStore,
  clientId: string,
  idempotencyKey: string,
  operationId: string,
  requestHash: string,
): Promise<IdempotencyClaim> {
  const previous = (await store.redis.call(
    "SET",
    idemKey(store, clientId, idempotencyKey),
    `${operationId}|${requestHash}`,
    "NX",
    "GET",
    "EX",
    String(store.ttlSeconds),
  )) as string | null;
  if (previous === null) return { kind: "new" };
  const [existingId = "", existingHash = ""] = previous.split("|");
  return { kind: "existing", operationId: existingId, requestHash: existingHash };
}

/** Forgets a claim whose operation was never queued (best effort, after a failed enqueue). */
export async function releaseIdempotencyKey(
  store: OperationStateStore,
  clientId: string,
  idempotencyKey: string,
): Promise<void> {
  await store.redis.del(idemKey(store, clientId, idempotencyKey));
}

/** One HSET (and EXPIRE) of pending records: the fields of one pending hash. */
export interface PendingRecordWrite {
  key: string;
  /** Operation id to `clientId|type`. */
  fields: Record<string, string>;
  ttlSeconds: number;
}

/**
 * The writes that mark `operations` accepted, one per pending hash. Queued into the MULTI that
 * stores their job (storeApplyJob.ts), or written on their own by {@link markAccepted}.
 *
 * @example
 * pendingRecordWrites(store, [{ id: "op_...07", clientId: "cl_1", type: "credit" }])
 * // [{ key: "acct:{ops-07}:pending:29746560", fields: { "op_...07": "cl_1|credit" }, ttlSeconds: 86400 }]
 */
export function pendingRecordWrites(
  store: OperationStateStore,
  operations: readonly PendingOperationRef[],
): PendingRecordWrite[] {
  return [...byPendingKey(store, operations)].map(([key, group]) => {
    const fields: Record<string, string> = {};
    for (const op of group) fields[op.id] = `${op.clientId}|${op.type}`;
    return { key, fields, ttlSeconds: store.ttlSeconds };
  });
}

/**
 * Marks operations accepted on their own, outside the MULTI of a job: for records that cannot share
 * their job's slot (see storeApplyJob.ts) and for tests.
 *
 * @example
 * await markAccepted(store, [{ id: "op_...07", clientId: "cl_1", type: "credit" }])
 */
export async function markAccepted(
  store: OperationStateStore,
  operations: readonly PendingOperationRef[],
): Promise<void> {
  await Promise.all(
    pendingRecordWrites(store, operations).map(async (write) => {
      await store.redis.hset(write.key, write.fields);
      await store.redis.expire(write.key, write.ttlSeconds);
    }),
  );
}

/** Marks operations failed (not final: an operator retries them), keeping them for `ttlSeconds`. */
export async function markFailed(
  store: OperationStateStore,
  operations: readonly PendingOperationRef[],
  problem: string,
  ttlSeconds: number,
): Promise<void> {
  const text = problem.slice(0, 500);
  await Promise.all(
    operations.map((op) =>
      store.redis.set(failedKey(store, op.id), `${op.clientId}|${op.type}|${text}`, "EX", ttlSeconds),
    ),
  );
}

/** Drops the records of operations now final in PostgreSQL (they are read from there). */
export async function clearPendingStates(
  store: OperationStateStore,
  operationIds: readonly string[],
): Promise<void> {
  await Promise.all(
    [
      ...byPendingKey(
        store,
        operationIds.map((id) => ({ id })),
      ),
    ].map(([key, group]) => store.redis.hdel(key, ...group.map((op) => op.id))),
  );
}

/** The pending state of an operation, or null when Redis has none (final, unknown or never queued). */
export async function readPendingState(
  store: OperationStateStore,
  operationId: string,
): Promise<PendingState | null> {
  const acceptedAt = operationIdTime(operationId);
  const [failed, pending] = await Promise.all([
    store.redis.get(failedKey(store, operationId)),
    store.redis.hget(pendingKey(store, operationId), operationId),
  ]);
  if (failed !== null) {
    const [clientId = "", type = "", ...problem] = failed.split("|");
    return { state: "failed", clientId, acceptedAt, type, problem: problem.join("|") };
  }
  if (pending === null) return null;
  const [clientId = "", type = ""] = pending.split("|");
  return { state: "accepted", clientId, acceptedAt, type };
}

/** The Pub/Sub channel on which workers announce operations that became final. */
export function finishedChannel(namespace: string): string {
  return `${namespace}:finished`;
}
