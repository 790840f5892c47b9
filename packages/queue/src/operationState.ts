import { createHash } from "node:crypto";
import type { RedisClient } from "./connection.ts";

/**
 * What Redis knows about operations that are not final in PostgreSQL yet, and the idempotency keys.
 *
 * Two short-lived records (plain string keys, one command each, so they work the same on a single
 * server and on a cluster):
 *
 * - `{ns}:idem:{clientId}:{sha256(key)}` = `opId|requestHash`, written with SET NX GET before the
 *   operation is queued. It maps a client's Idempotency-Key to the operation id it got the first time.
 * - `{ns}:op:{opId}` = `D` (done: final in PostgreSQL, a short-lived tombstone), or
 *   `state|clientId|acceptedAtMs|type[|problem]`, where state is `A` (accepted: its job
 *   is stored) or `F` (failed: applying hit an error that retries did not cure).
 *
 * The states are designed so that a crash at any point is repaired by the caller's retry: the op
 * record is written only AFTER the job is stored, so an idempotency record without an op record
 * means "maybe never queued" and a retry with the same key queues the same id again. Queuing an id
 * twice is harmless: the worker applies an id once (a unique id in PostgreSQL).
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
  acceptedAt: number;
  type: string;
}

export type PendingState =
  | { state: "accepted"; clientId: string; acceptedAt: number; type: string }
  | { state: "failed"; clientId: string; acceptedAt: number; type: string; problem: string };

function idemKey(store: OperationStateStore, clientId: string, idempotencyKey: string): string {
  const digest = createHash("sha256").update(idempotencyKey).digest("base64url");
  return `${store.namespace}:idem:${clientId}:${digest}`;
}

function opKey(store: OperationStateStore, operationId: string): string {
  return `${store.namespace}:op:${operationId}`;
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

/** Marks operations accepted: their job is stored. Call only after the queue acknowledged the job. */
export async function markAccepted(
  store: OperationStateStore,
  operations: readonly PendingOperationRef[],
): Promise<void> {
  await Promise.all(
    operations.map((op) =>
      // NX: a worker may have applied the operation already and left its tombstone (see below).
      store.redis.set(
        opKey(store, op.id),
        `A|${op.clientId}|${op.acceptedAt}|${op.type}`,
        "EX",
        store.ttlSeconds,
        "NX",
      ),
    ),
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
      store.redis.set(
        opKey(store, op.id),
        `F|${op.clientId}|${op.acceptedAt}|${op.type}|${text}`,
        "EX",
        ttlSeconds,
      ),
    ),
  );
}

/** Drops the records of operations now final in PostgreSQL (they are read from there). */
export async function clearPendingStates(
  store: OperationStateStore,
  operationIds: readonly string[],
): Promise<void> {
  // A short-lived tombstone, not a delete: the API writes "accepted" after the job is stored, and a
  // fast worker can apply the job before that write lands. The API's SET NX then finds the tombstone
  // and writes nothing, instead of leaving an "accepted" record behind for the whole TTL.
  await Promise.all(
    operationIds.map((id) => store.redis.set(opKey(store, id), "D", "EX", TOMBSTONE_SECONDS)),
  );
}

/** How long the "done" tombstone of a finished operation stays (longer than any accept round trip). */
const TOMBSTONE_SECONDS = 60;

/** The pending state of an operation, or null when Redis has none (final, unknown or never queued). */
export async function readPendingState(
  store: OperationStateStore,
  operationId: string,
): Promise<PendingState | null> {
  const value = await store.redis.get(opKey(store, operationId));
  if (value === null || value === "D") return null;
  const [state, clientId = "", acceptedAt = "0", type = "", ...problem] = value.split("|");
  if (state === "F") {
    return { state: "failed", clientId, acceptedAt: Number(acceptedAt), type, problem: problem.join("|") };
  }
  return { state: "accepted", clientId, acceptedAt: Number(acceptedAt), type };
}

/** The Pub/Sub channel on which workers announce operations that became final. */
export function finishedChannel(namespace: string): string {
  return `${namespace}:finished`;
}
