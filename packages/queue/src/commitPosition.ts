import type { RedisClient } from "./connection.ts";

/**
 * The commit high-water mark: the highest PostgreSQL WAL position at or past which every batch the
 * workers reported final lies (`{ns}:commit-lsn`, 16 hex digits). A worker raises it after each
 * commit and BEFORE it reports the batch (drops the pending records, wakes long polls, sends
 * webhooks); the API serves a read from a replica only once the replica replayed past it. So a read
 * never shows a state older than one already reported as applied.
 *
 * Raised with a compare-and-set in Lua (equal-length hex strings compare as the positions do):
 * workers of several partitions publish concurrently and the mark never goes down.
 */
const RAISE = `local current = redis.call('GET', KEYS[1])
if (not current) or current < ARGV[1] then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

export function commitPositionKey(namespace: string): string {
  return `${namespace}:commit-lsn`;
}

/** Raises the mark to `position16` (16 lowercase hex digits) unless it is higher already. */
export async function raiseCommitPosition(
  redis: RedisClient,
  namespace: string,
  position16: string,
): Promise<void> {
  if (!/^[0-9a-f]{16}$/.test(position16)) throw new Error("a commit position is 16 lowercase hex digits");
  await redis.eval(RAISE, 1, commitPositionKey(namespace), position16);
}

/** The mark (16 hex digits), or null when no worker published one yet. */
export async function readCommitPosition(redis: RedisClient, namespace: string): Promise<string | null> {
  return redis.get(commitPositionKey(namespace));
}
