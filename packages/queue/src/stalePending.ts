import { operationIdTime } from "@accounts/domain";
import { partitionKeyPrefix } from "./catalog.ts";
import type { OperationStateStore, PendingOperationRef } from "./operationState.ts";

/**
 * The pending ("accepted") records of `partition` accepted more than `olderThanMs` before `now`
 * (and within the records' lifetime): candidates for the pending sweeper, which looks for their job
 * and their row before it judges them lost. One pipeline of HGETALL over the partition's minute
 * hashes (they share its hash tag, hence one Redis Cluster node); a minute whose hash is gone costs
 * one empty reply.
 *
 * @example
 * await findStalePending(store, 7, { olderThanMs: 600_000 })
 * // [{ id: "op_...07", clientId: "cl_1", type: "credit" }]
 */
export async function findStalePending(
  store: OperationStateStore,
  partition: number,
  options: { olderThanMs: number; now?: number },
): Promise<PendingOperationRef[]> {
  const now = options.now ?? Date.now();
  const before = now - options.olderThanMs;
  const first = Math.floor((now - store.ttlSeconds * 1000) / 60_000);
  const last = Math.floor(before / 60_000);
  if (last < first) return [];
  const prefix = partitionKeyPrefix(store.namespace, partition);
  const pipeline = store.redis.pipeline();
  for (let minute = first; minute <= last; minute++) pipeline.hgetall(`${prefix}:pending:${minute}`);
  const replies = (await pipeline.exec()) ?? [];
  const stale: PendingOperationRef[] = [];
  for (const [error, fields] of replies) {
    if (error) throw error;
    for (const [id, value] of Object.entries((fields ?? {}) as Record<string, string>)) {
      if (operationIdTime(id) >= before) continue;
      const [clientId = "", type = ""] = value.split("|");
      stale.push({ id, clientId, type });
    }
  }
  return stale;
}
