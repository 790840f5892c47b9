import type { Db } from "@accounts/db";
import { operationIdTime } from "@accounts/domain";
import {
  type ApplyJob,
  type Catalog,
  clearPendingStates,
  closeSettled,
  findStalePending,
  markFailed,
  type OperationStateStore,
  type PendingOperationRef,
  partitionQueue,
} from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import { Queue } from "bullmq";
import { startPeriodic } from "../periodic.ts";

export interface PendingSweepDeps {
  db: Db;
  states: OperationStateStore;
  catalog: Catalog;
  log: Logger;
}

export interface PendingSweepOptions {
  /** Records accepted longer ago than this are looked at. */
  staleAfterMs: number;
  /** How long the `failed` record of a lost operation is kept (as FAILED_OPERATION_TTL_SECONDS). */
  failedTtlSeconds: number;
  /** For tests: the current time. */
  now?: number;
}

/** What one sweep found: records of operations final in PostgreSQL (dropped), and lost operations. */
export interface PendingSweepResult {
  cleared: number;
  lost: PendingOperationRef[];
}

export const LOST_PROBLEM =
  "lost: its queue job is gone (a Redis failover lost it) and it was never applied; it will not be. Submit it again with a new Idempotency-Key";

/**
 * Finds acknowledged operations that would otherwise stay `accepted` until their record expires:
 * a pending record older than `staleAfterMs` whose operation is neither final in PostgreSQL nor
 * carried by any job of its partition queue (waiting, active, delayed, paused, prioritized or
 * failed). That happens when Redis lost the job but kept the record (a failover to a replica that
 * had one and not the other). Each such operation is reported `failed` with {@link LOST_PROBLEM}
 * (a poll shows it, and it never changes again) rather than queued anew: queued now, it would be
 * applied after operations of its account accepted after it (docs/adr/0009-redis-replicas.md).
 * Records of operations final in PostgreSQL (the worker's HDEL was lost) are dropped.
 *
 * PostgreSQL is read again after the jobs: a job that finished in between committed first.
 */
export async function sweepPending(
  deps: PendingSweepDeps,
  options: PendingSweepOptions,
): Promise<PendingSweepResult> {
  const result: PendingSweepResult = { cleared: 0, lost: [] };
  for (let partition = 0; partition < deps.catalog.partitions; partition++) {
    const stale = await findStalePending(deps.states, partition, {
      olderThanMs: options.staleAfterMs,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    if (stale.length === 0) continue;
    const final = await finalIn(deps.db, stale);
    const open = stale.filter((op) => !final.has(op.id));
    const carried = open.length > 0 ? await carriedByJobs(deps, partition) : new Set<string>();
    const finalAfter = await finalIn(
      deps.db,
      open.filter((op) => !carried.has(op.id)),
    );
    const lost = open.filter((op) => !carried.has(op.id) && !finalAfter.has(op.id));
    if (lost.length > 0) await markFailed(deps.states, lost, LOST_PROBLEM, options.failedTtlSeconds);
    const drop = [...final, ...finalAfter, ...lost.map((op) => op.id)];
    if (drop.length > 0) await clearPendingStates(deps.states, drop);
    result.cleared += final.size + finalAfter.size;
    result.lost.push(...lost);
  }
  return result;
}

/** The ids of `operations` that have their row in PostgreSQL. */
async function finalIn(db: Db, operations: readonly PendingOperationRef[]): Promise<Set<string>> {
  if (operations.length === 0) return new Set();
  const times = operations.map((op) => operationIdTime(op.id));
  const rows = await db
    .selectFrom("operations")
    .select("id")
    .where(
      "id",
      "in",
      operations.map((op) => op.id),
    )
    .where("accepted_at", ">=", new Date(Math.min(...times)))
    .where("accepted_at", "<=", new Date(Math.max(...times)))
    .execute();
  return new Set(rows.map((row) => row.id));
}

/** Every operation id some job of the partition's queue still carries. */
async function carriedByJobs(deps: PendingSweepDeps, partition: number): Promise<Set<string>> {
  const ref = partitionQueue(deps.catalog, partition);
  const queue = new Queue<ApplyJob>(ref.name, { connection: deps.states.redis, prefix: ref.prefix });
  try {
    const jobs = await queue.getJobs(["wait", "active", "delayed", "paused", "prioritized", "failed"]);
    const ids = new Set<string>();
    for (const job of jobs) for (const op of job?.data?.operations ?? []) ids.add(op.id);
    return ids;
  } finally {
    await closeSettled(queue);
  }
}

export interface PendingSweeper {
  sweepNow(): Promise<PendingSweepResult>;
  close(): Promise<void>;
}

/**
 * Runs {@link sweepPending} every `intervalMs`. Safe in every worker process (each sweep is
 * idempotent). A failing sweep is logged and tried again at the next tick.
 */
export function startPendingSweeper(
  deps: PendingSweepDeps,
  options: PendingSweepOptions & { intervalMs: number },
): PendingSweeper {
  const periodic = startPeriodic(() => sweepPending(deps, options), {
    intervalMs: options.intervalMs,
    onResult: ({ cleared, lost }) => {
      if (lost.length > 0) {
        deps.log.error(
          { lost: lost.length, operations: lost.slice(0, 20).map((op) => op.id) },
          "acknowledged operations whose queue job is gone: reported failed (lost), never applied",
        );
      }
      if (cleared > 0) deps.log.warn({ cleared }, "pending records of final operations dropped");
    },
    onError: (error) => deps.log.warn({ err: error }, "pending sweep failed; retried at the next tick"),
  });
  return { sweepNow: periodic.runNow, close: periodic.close };
}
