import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { listArchive } from "./archive.ts";
import { backupFileName, PARTIAL_SUFFIX } from "./backupFiles.ts";
import { sha256OfFile, writeChecksumFile } from "./checksum.ts";
import { type PgTools, pgConnection } from "./pgTools.ts";
import { runProgram } from "./program.ts";
import { applyRetention } from "./retention.ts";
import { runUploadCommand, type UploadResult } from "./upload.ts";

export interface BackupOptions {
  /** The database to dump (its user needs to read every table: the owner, or a superuser). */
  databaseUrl: string;
  /** BACKUP_DIR. */
  dir: string;
  tools: PgTools;
  keepCount: number;
  keepDays: number;
  /** BACKUP_UPLOAD_COMMAND. */
  uploadCommand?: string | undefined;
  uploadTimeoutMs?: number;
  /** The clock (names the file, dates retention). */
  now?: () => Date;
  /** Called about once a second while pg_dump writes, with the bytes written so far. */
  onProgress?: (bytesWritten: number) => void;
  /** pg_dump's time limit. Default 6 hours. */
  dumpTimeoutMs?: number;
}

export interface BackupResult {
  file: string;
  name: string;
  checksumFile: string;
  sha256: string;
  sizeBytes: number;
  /** When the backup started (its name). */
  takenAt: string;
  dumpMs: number;
  durationMs: number;
  /** Entries in the archive's table of contents (`pg_restore --list`). */
  archiveEntries: number;
  tablesWithData: number;
  /** Backups (and abandoned partial files) deleted by retention. */
  deleted: string[];
  /** Absent when no upload command is configured. */
  upload?: UploadResult;
}

/**
 * Makes one verified backup: `pg_dump --format=custom` into `<dir>/accounts-<UTC time>.dump.partial`,
 * `pg_restore --list` to prove the archive is readable, SHA-256 into `<file>.sha256`, then the rename
 * to its final name (so a file with a final name is always complete and verified), retention, and
 * the optional upload command. Files are created 0600 in a 0700 folder: a backup holds every key hash
 * and webhook secret.
 *
 * The upload's failure does not throw: the backup itself is good; `upload.ok` says how it went and
 * the caller decides (the scheduler fails the run, so that it alerts).
 *
 * @example
 * const result = await createBackup({ databaseUrl, dir: "/var/backups/accounts", tools: resolvePgTools(),
 *   keepCount: 28, keepDays: 7 });
 * result.name // "accounts-20261127T060000.000Z.dump"
 * @throws ProgramFailedError "pg_dump failed (exit code 1): pg_dump: error: connection to server ... failed"
 * @throws BackupVerificationError when the written archive cannot be read back
 */
export async function createBackup(options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? (() => new Date());
  const started = performance.now();
  const takenAt = now();
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = backupFileName(takenAt);
  const file = join(dir, name);
  const partial = `${file}${PARTIAL_SUFFIX}`;
  if (await stat(file).catch(() => undefined))
    throw new Error(`${file} exists already; refusing to overwrite it`);

  // Created 0600 before pg_dump opens it: pg_dump keeps the mode of the file it truncates, so the
  // dump is never readable by others, not even while it is being written.
  await writeFile(partial, "", { mode: 0o600, flag: "wx" });
  const connection = pgConnection(options.databaseUrl);
  // Polled from the file's size: pg_dump reports no progress of its own.
  let dumping = true;
  const progress = options.onProgress
    ? setInterval(() => {
        stat(partial).then(
          (stats) => {
            if (dumping) options.onProgress?.(stats.size);
          },
          () => {},
        );
      }, 1000)
    : undefined;
  try {
    const dump = await runProgram(
      options.tools.pgDump,
      ["--format=custom", `--file=${partial}`, ...connection.args],
      { env: connection.env, timeoutMs: options.dumpTimeoutMs ?? 6 * 3600_000 },
    );
    dumping = false;
    const listing = await listArchive(options.tools, partial);
    const sha256 = await sha256OfFile(partial);
    await rename(partial, file);
    const checksumFile = await writeChecksumFile(file, sha256);
    const sizeBytes = (await stat(file)).size;
    options.onProgress?.(sizeBytes);
    const deleted = await applyRetention(dir, {
      keepCount: options.keepCount,
      keepDays: options.keepDays,
      now: now(),
    });
    const upload = options.uploadCommand
      ? await runUploadCommand(options.uploadCommand, file, {
          timeoutMs: options.uploadTimeoutMs ?? 3600_000,
        })
      : undefined;
    return {
      file,
      name,
      checksumFile,
      sha256,
      sizeBytes,
      takenAt: takenAt.toISOString(),
      dumpMs: Math.round(dump.durationMs),
      durationMs: Math.round(performance.now() - started),
      archiveEntries: listing.entries,
      tablesWithData: listing.tablesWithData.length,
      deleted,
      ...(upload ? { upload } : {}),
    };
  } catch (error) {
    // A failed dump leaves nothing that looks like a backup.
    await rm(partial, { force: true });
    throw error;
  } finally {
    dumping = false;
    clearInterval(progress);
  }
}
