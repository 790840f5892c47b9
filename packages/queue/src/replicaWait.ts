import { Cluster, type Redis } from "ioredis";
import type { RedisClient } from "./connection.ts";
import { keySlot } from "./keySlot.ts";

/**
 * How many replicas of the owning Redis node must confirm a stored job before its operations are
 * answered 202 (ACCEPT_MIN_REPLICAS, ACCEPT_REPLICA_TIMEOUT_MS). `minReplicas` 0: no wait, a 202
 * means "in the master's append-only file" only.
 */
export interface ReplicaPolicy {
  minReplicas: number;
  timeoutMs: number;
  /** Called once per wait: how long it took and whether enough replicas confirmed (metrics). */
  observe?: (seconds: number, confirmed: boolean) => void;
}

/**
 * The replicas did not confirm in time. The job IS on the master (it may well survive, it may be
 * lost by a failover): the caller answers 503, keeps the Idempotency-Key claimed, and a retry with
 * the same key finds the same operation id.
 */
export class ReplicasUnconfirmedError extends Error {
  constructor(
    readonly confirmed: number,
    readonly wanted: number,
    timeoutMs: number,
    cause?: unknown,
  ) {
    super(
      cause === undefined
        ? `${confirmed} of ${wanted} Redis replicas confirmed the job within ${timeoutMs} ms: it is on the master but may not survive its loss`
        : `the job is on the master, but its replicas could not be asked (${codeOf(cause)}): it may not survive the master's loss`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "ReplicasUnconfirmedError";
  }
}

/**
 * Waits until `policy.minReplicas` replicas of the node that owns `key` received every write made
 * so far on `client`'s connection to that node (`WAIT numreplicas timeout`). It must run on the
 * connection that wrote: WAIT counts the replicas that reached that connection's last write offset.
 * It cannot run inside Lua or MULTI (there it never blocks), so it follows the EXEC, one per job.
 *
 * With a Redis Cluster client, the connection is the one to the master owning `key`'s slot (the
 * one the job's MULTI went through). Rejects with {@link ReplicasUnconfirmedError} when fewer
 * replicas confirmed within `policy.timeoutMs`; with Redis's own error when WAIT could not run.
 *
 * @example
 * await transaction.exec();
 * await waitForReplicas(client, queue.toKey("wait"), { minReplicas: 1, timeoutMs: 500 });
 */
export async function waitForReplicas(
  client: RedisClient,
  key: string,
  policy: ReplicaPolicy,
): Promise<void> {
  if (policy.minReplicas <= 0) return;
  const started = process.hrtime.bigint();
  let confirmed = 0;
  try {
    const node = client instanceof Cluster ? masterOfKey(client, key) : (client as Redis);
    confirmed = Number(await node.call("WAIT", String(policy.minReplicas), String(policy.timeoutMs)));
  } catch (error) {
    // The job IS stored: whatever stopped the WAIT (a connection cut, one not writable any more),
    // the caller must not take it for a store that never left (isRedisCommandUnsent), which frees
    // the Idempotency-Key and gave a retry a second id (seen in the host-loss faults).
    throw new ReplicasUnconfirmedError(0, policy.minReplicas, policy.timeoutMs, error);
  } finally {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    policy.observe?.(seconds, confirmed >= policy.minReplicas);
  }
  if (confirmed < policy.minReplicas) {
    throw new ReplicasUnconfirmedError(confirmed, policy.minReplicas, policy.timeoutMs);
  }
}

/** The cluster client's connection to the master that owns `key`'s slot, as ioredis routes it. */
function masterOfKey(cluster: Cluster, key: string): Redis {
  const owner = cluster.slots[keySlot(key)]?.[0];
  const node = owner
    ? cluster.nodes("master").find((redis) => `${redis.options.host}:${redis.options.port}` === owner)
    : undefined;
  if (!node)
    throw new Error(`no known Redis Cluster master owns the slot of ${key}: cannot confirm replicas`);
  return node;
}

/** A short name of what stopped the WAIT, without echoing a message a classifier might match. */
function codeOf(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | null;
  return typeof e?.code === "string" ? e.code : typeof e?.name === "string" ? e.name : "error";
}
