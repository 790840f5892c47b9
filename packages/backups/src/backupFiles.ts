import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/** Backups are `accounts-<UTC time>.dump`; a dump being written carries `.partial` until verified. */
const NAME = /^accounts-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z\.dump$/;
export const PARTIAL_SUFFIX = ".partial";
export const CHECKSUM_SUFFIX = ".sha256";

/** A finished backup file in the backup folder. */
export interface BackupFile {
  name: string;
  path: string;
  /** When the backup started (from its name). */
  takenAt: Date;
  sizeBytes: number;
}

/**
 * The file name of a backup started at `at`, in UTC with milliseconds (so that two backups in the
 * same second do not collide, and names sort by time).
 *
 * @example
 * backupFileName(new Date("2026-11-27T06:00:00.000Z")) // "accounts-20261127T060000.000Z.dump"
 */
export function backupFileName(at: Date): string {
  const iso = at.toISOString(); // 2026-11-27T06:00:00.000Z
  return `accounts-${iso.slice(0, 10).replaceAll("-", "")}T${iso.slice(11, 19).replaceAll(":", "")}.${iso.slice(20, 23)}Z.dump`;
}

/**
 * The start time a backup file name carries, or undefined for any other name.
 *
 * @example
 * backupTimeOf("accounts-20261127T060000.000Z.dump") // 2026-11-27T06:00:00.000Z
 * backupTimeOf("notes.txt") // undefined
 */
export function backupTimeOf(name: string): Date | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match;
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * The finished backups in `dir` (regular files named like backups; symlinks and anything else are
 * ignored), newest first. A missing folder has none.
 *
 * @example
 * await listBackups("/var/backups/accounts")
 * // [{ name: "accounts-20261127T060000.000Z.dump", path: "/var/backups/accounts/...", takenAt: Date, sizeBytes: 1048576 }]
 */
export async function listBackups(dir: string): Promise<BackupFile[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  const backups: BackupFile[] = [];
  for (const name of names) {
    const takenAt = backupTimeOf(name);
    if (!takenAt) continue;
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => undefined);
    if (!stats?.isFile()) continue;
    backups.push({ name, path, takenAt, sizeBytes: stats.size });
  }
  return backups.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime() || b.name.localeCompare(a.name));
}
