import type { Db } from "@accounts/db";
import {
  newOperationId,
  type OperationRequest,
  type OperationView,
  operationIdTime,
  type QueuedOperation,
} from "@accounts/domain";
import {
  claimIdempotencyKey,
  isRedisCommandUnsent,
  type OperationStateStore,
  partitionOf,
  releaseIdempotencyKey,
} from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { readOperation } from "../read/readOperation.ts";
import type { Coalescer } from "./coalescer.ts";
import { requestHash } from "./requestHash.ts";

export interface AcceptDeps {
  db: Db;
  states: OperationStateStore;
  coalescer: Coalescer<QueuedOperation>;
  partitions: number;
  log: Logger;
  /**
   * ACCEPT_MIN_REPLICAS > 0: a replay of an operation still pending in Redis is not answered from
   * its record but stored again under its id, so that its 202 too waits for the replicas (the
   * record may be on the master alone: its first attempt got 503, or is still waiting).
   */
  confirmReplays?: boolean;
}

/** One operation to accept: already validated (schema, scales, callback URL). */
export interface SubmitItem {
  request: OperationRequest;
  idempotencyKey: string | null;
}

export type SubmitResult =
  /** Queued now (or queued again after an earlier attempt that may not have been): 202. */
  | { kind: "accepted"; id: string; acceptedAt: number; replayed: boolean }
  /** A replay of an operation that exists: its current representation (200 when final, else 202). */
  | { kind: "replay"; view: OperationView; final: boolean }
  /** The key was used before with another body: 409. */
  | { kind: "conflict"; id: string }
  /** Could not be stored durably (Redis unavailable): 503, nothing accepted. */
  | { kind: "unavailable"; reason: string };

interface Planned {
  index: number;
  op: QueuedOperation;
  partition: number;
  replayed: boolean;
  /** Set when this call claimed the key: released again if the operation cannot be stored. */
  claimedKey: string | null;
}

/**
 * Accepts operations for one client: idempotency first, then the operations to queue are handed to
 * the coalescer by partition, in request order, and answered once their job is stored.
 *
 * Crash safety: the idempotency record is written before the job; the job and the operations'
 * pending records are stored together (one MULTI). A retry that finds the idempotency record
 * without a pending one (nor a row in PostgreSQL) queues the same id again (harmless: an id is
 * applied once), so a caller never believes in an operation that no worker will apply, and an
 * operation it was told is accepted is always readable.
 */
export async function acceptOperations(
  deps: AcceptDeps,
  clientId: string,
  items: readonly SubmitItem[],
): Promise<SubmitResult[]> {
  const results: SubmitResult[] = new Array(items.length);
  const planned: Planned[] = [];

  await Promise.all(
    items.map(async (item, index) => {
      // Only a keyed operation can be replayed, so only it needs the fingerprint of its request.
      const hash = item.idempotencyKey === null ? "-" : requestHash(item.request);
      const partition = partitionOf(item.request, deps.partitions);
      const id = newOperationId(partition);
      const op = (opId: string, acceptedAt: number): QueuedOperation => ({
        id: opId,
        clientId,
        idempotencyKey: item.idempotencyKey,
        request: item.request,
        requestHash: hash,
        acceptedAt,
      });
      if (item.idempotencyKey === null) {
        planned.push({
          index,
          op: op(id, operationIdTime(id)),
          partition,
          replayed: false,
          claimedKey: null,
        });
        return;
      }
      let claim: Awaited<ReturnType<typeof claimIdempotencyKey>>;
      try {
        claim = await claimIdempotencyKey(deps.states, clientId, item.idempotencyKey, id, hash);
      } catch (error) {
        results[index] = { kind: "unavailable", reason: errorText(error) };
        return;
      }
      if (claim.kind === "new") {
        planned.push({
          index,
          op: op(id, operationIdTime(id)),
          partition,
          replayed: false,
          claimedKey: item.idempotencyKey,
        });
        return;
      }
      if (claim.requestHash !== hash) {
        results[index] = { kind: "conflict", id: claim.operationId };
        return;
      }
      const existing = await readOperation(deps, claim.operationId, clientId);
      const unconfirmed = deps.confirmReplays && existing?.view.status === "accepted";
      if (existing && !unconfirmed) {
        results[index] = { kind: "replay", ...existing };
        return;
      }
      // Claimed before but never known to be stored (or stored, but not known to be on a replica):
      // queue the same id again.
      planned.push({
        index,
        op: op(claim.operationId, operationIdTime(claim.operationId)),
        partition,
        replayed: true,
        claimedKey: null,
      });
    }),
  );

  planned.sort((a, b) => a.index - b.index);
  const byPartition = new Map<number, Planned[]>();
  for (const plan of planned) {
    const list = byPartition.get(plan.partition) ?? [];
    list.push(plan);
    byPartition.set(plan.partition, list);
  }
  await Promise.all(
    [...byPartition].map(async ([partition, plans]) => {
      try {
        await deps.coalescer.submit(
          partition,
          plans.map((p) => p.op),
        );
        for (const p of plans) {
          results[p.index] = {
            kind: "accepted",
            id: p.op.id,
            acceptedAt: p.op.acceptedAt,
            replayed: p.replayed,
          };
        }
      } catch (error) {
        deps.log.warn({ err: error, partition, operations: plans.length }, "could not store operations");
        for (const p of plans) {
          results[p.index] = { kind: "unavailable", reason: errorText(error) };
          // The key is freed only when the job certainly never reached Redis. After a cut connection
          // or a timeout it may be stored: the claim must stay, so that the caller's retry with the
          // same key finds the same id (freeing it applied the operation twice: tests/cluster).
          if (p.claimedKey && isRedisCommandUnsent(error)) {
            releaseIdempotencyKey(deps.states, clientId, p.claimedKey).catch(() => {});
          }
        }
      }
    }),
  );
  return results;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
