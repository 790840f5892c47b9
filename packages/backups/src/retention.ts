import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { type BackupFile, CHECKSUM_SUFFIX, listBackups, PARTIAL_SUFFIX } from "./backupFiles.ts";

export interface RetentionPolicy {
  /** Keep at most this many backups (the newest). */
  keepCount: number;
  /** Delete backups taken more than this many days before `now`. */
  keepDays: number;
  now: Date;
}

const DAY_MS = 86_400_000;
/** A `.partial` dump this old was left by a backup that died; none takes this long. */
const ABANDONED_PARTIAL_MS = DAY_MS;

/**
 * Which backups the policy deletes: every one beyond the newest `keepCount`, and every one older than
 * `keepDays`, except that the newest backup is always kept (a policy never leaves zero backups, even
 * when backups have been failing for longer than `keepDays`). `backups` are newest first.
 *
 * @example
 * expiredBackups(backups, { keepCount: 28, keepDays: 7, now: new Date() }) // [the 29th newest, ..., any older than 7 days]
 */
export function expiredBackups(backups: readonly BackupFile[], policy: RetentionPolicy): BackupFile[] {
  const oldestKept = policy.now.getTime() - policy.keepDays * DAY_MS;
  return backups.filter((backup, index) => {
    if (index === 0) return false;
    return index >= policy.keepCount || backup.takenAt.getTime() < oldestKept;
  });
}

/**
 * Applies the retention policy to `dir`: deletes expired backups with their checksum files, and
 * `.partial` files abandoned by a backup that died more than a day ago. Returns the names deleted.
 *
 * @example
 * await applyRetention("/var/backups/accounts", { keepCount: 28, keepDays: 7, now: new Date() })
 * // ["accounts-20261119T000000.000Z.dump"]
 */
export async function applyRetention(dir: string, policy: RetentionPolicy): Promise<string[]> {
  const deleted: string[] = [];
  for (const backup of expiredBackups(await listBackups(dir), policy)) {
    await rm(`${backup.path}${CHECKSUM_SUFFIX}`, { force: true });
    await rm(backup.path, { force: true });
    deleted.push(backup.name);
  }
  for (const name of await readdir(dir)) {
    if (!name.endsWith(PARTIAL_SUFFIX)) continue;
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => undefined);
    if (stats?.isFile() && policy.now.getTime() - stats.mtimeMs > ABANDONED_PARTIAL_MS) {
      await rm(path, { force: true });
      deleted.push(name);
    }
  }
  return deleted;
}
