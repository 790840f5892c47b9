import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/** `x.log` and its rotations: `x.log.1`, `x.log.2.gz`, `x.log-20261127`, `x.log.2026-11-27.zst`... */
const LOG_FILE = /\.log([.-][0-9]+)*(\.(gz|xz|zst|bz2))?$/;
/** Folders deeper than this below LOG_DIR are not visited. */
const MAX_DEPTH = 4;

export interface LogPruneResult {
  deleted: string[];
  bytesFreed: number;
  /** Symbolic links met (never followed, never deleted). */
  symlinksSkipped: number;
}

/**
 * Deletes log files last modified before `before` in `dir` and its sub-folders: regular files named
 * like logs or rotated logs only. Symbolic links are never followed nor deleted (a link could lead
 * out of the folder), other files and folders are left alone. A missing folder prunes nothing.
 *
 * @example
 * await pruneLogFiles("/var/log/accounts", new Date(Date.now() - 14 * 86_400_000))
 * // { deleted: ["api.log.3.gz"], bytesFreed: 5242880, symlinksSkipped: 0 }
 */
export async function pruneLogFiles(dir: string, before: Date): Promise<LogPruneResult> {
  const result: LogPruneResult = { deleted: [], bytesFreed: 0, symlinksSkipped: 0 };
  await visit(dir, "", 0, before.getTime(), result);
  return result;
}

async function visit(
  root: string,
  relative: string,
  depth: number,
  cutoffMs: number,
  result: LogPruneResult,
) {
  const here = join(root, relative);
  const entries = await readdir(here, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return [];
    throw error;
  });
  for (const entry of entries) {
    const path = join(relative, entry.name);
    // Dirent types come from the directory itself (lstat semantics): a link is a link, not its target.
    if (entry.isSymbolicLink()) {
      result.symlinksSkipped += 1;
    } else if (entry.isDirectory()) {
      if (depth < MAX_DEPTH) await visit(root, path, depth + 1, cutoffMs, result);
    } else if (entry.isFile() && LOG_FILE.test(entry.name)) {
      const stats = await lstat(join(root, path)).catch(() => undefined);
      if (!stats?.isFile() || stats.mtimeMs >= cutoffMs) continue;
      await rm(join(root, path), { force: true });
      result.deleted.push(path);
      result.bytesFreed += stats.size;
    }
  }
}
