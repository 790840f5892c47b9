import type { RedisClient } from "./connection.ts";
import { fnv1a32 } from "./routing.ts";

/**
 * The commit high-water marks: for each scope, a PostgreSQL WAL position at or past every batch
 * already reported final that touched it (`{ns}:commit-lsn`, a hash of 16-hex-digit positions). A
 * worker raises them after each commit and BEFORE it reports the batch (drops the pending records,
 * wakes long polls, sends webhooks); the API serves a read from a replica only once the replica
 * replayed past the mark of the read's scope. So a read never shows a state older than one already
 * reported as applied.
 *
 * Scopes: `p<partition>` for the operations of a partition (their final state), `u<bucket>` for the
 * accounts of one of 64 buckets of user ids (their balances and entries). One global mark would send
 * every read to the primary while anything at all is being applied; per scope, only reads of
 * recently changed accounts and operations do.
 *
 * Raised with a compare-and-set in Lua (equal-length hex strings compare as the positions do):
 * workers of several partitions publish concurrently and a mark never goes down. Field `v` says the
 * hash was written by a worker: without it (a new namespace, Redis data lost) nothing is known and
 * every read goes to the primary.
 */
const RAISE = `redis.call('HSET', KEYS[1], 'v', '1')
for i = 1, #ARGV - 1 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if (not current) or current < ARGV[#ARGV] then redis.call('HSET', KEYS[1], ARGV[i], ARGV[#ARGV]) end
end
return 1`;

const BUCKETS = 64;
const ZERO = "0000000000000000";

export function commitPositionKey(namespace: string): string {
  return `${namespace}:commit-lsn`;
}

/** The scope of a user account's balances and entries. */
export function accountScope(userId: string): string {
  return `u${fnv1a32(userId) % BUCKETS}`;
}

/** The scope of the operations of a partition. */
export function operationScope(partition: number): string {
  return `p${partition}`;
}

/** Raises the marks of `scopes` to `position16` (16 lowercase hex digits) unless higher already. */
export async function raiseCommitPosition(
  redis: RedisClient,
  namespace: string,
  position16: string,
  scopes: readonly string[],
): Promise<void> {
  if (!/^[0-9a-f]{16}$/.test(position16)) throw new Error("a commit position is 16 lowercase hex digits");
  await redis.eval(RAISE, 1, commitPositionKey(namespace), ...scopes, position16);
}

/**
 * The mark of `scope` (16 hex digits; all zeros when no reported batch touched it), or null when no
 * worker published any (nothing is known).
 */
export async function readCommitPosition(
  redis: RedisClient,
  namespace: string,
  scope: string,
): Promise<string | null> {
  const [written, mark] = await redis.hmget(commitPositionKey(namespace), "v", scope);
  if (written === null || written === undefined) return null;
  return mark ?? ZERO;
}
