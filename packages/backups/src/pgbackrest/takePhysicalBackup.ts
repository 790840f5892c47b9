import { ProgramFailedError } from "../errors.ts";
import { LOCK_HELD_EXIT_CODE, type PgBackRest, runPgBackRest } from "./pgBackRest.ts";
import { type BackupSet, type BackupType, readRepositoryInfo } from "./repositoryInfo.ts";

/** Another backup of the stanza is running (pgBackRest's lock): this one did not start. */
export class RepositoryBusyError extends Error {
  override readonly name = "RepositoryBusyError";
}

export interface PhysicalBackupResult {
  /** The backup set made. */
  backup: BackupSet;
  /**
   * What it really is: pgBackRest makes a full backup when a diff or incr has nothing to build on
   * (an empty repository), and says so.
   */
  requestedType: BackupType;
  /** Labels of the backups that pgBackRest's expire removed after this one (the retention settings). */
  expired: string[];
  durationMs: number;
}

/**
 * `pgbackrest backup --type=<type>`: a full copy, or the files changed since the last full (diff) or
 * since the last backup of any type (incr), taken online; it ends once the WAL that makes it
 * consistent is in the archive. pgBackRest then expires what its retention settings
 * (`repo1-retention-full`, `repo1-retention-diff`) no longer keep, with the WAL only they needed.
 *
 * @example
 * const result = await takePhysicalBackup(pgbr, "incr", { onLine: (line) => log.info(line) });
 * result.backup.label // "20261202-010000F_20261202-110000I"
 * @throws RepositoryBusyError when another backup holds the stanza's lock
 * @throws ProgramFailedError "pgbackrest backup failed (exit code 82): ERROR: [082]: WAL segment ... was not archived ..."
 */
export async function takePhysicalBackup(
  pgbr: PgBackRest,
  type: BackupType,
  options: { onLine?: (line: string) => void; timeoutMs?: number } = {},
): Promise<PhysicalBackupResult> {
  const started = performance.now();
  const before = await readRepositoryInfo(pgbr);
  try {
    await runPgBackRest(pgbr, "backup", [`--type=${type}`, "--log-level-console=info"], options);
  } catch (error) {
    if (error instanceof ProgramFailedError && error.exitCode === LOCK_HELD_EXIT_CODE) {
      throw new RepositoryBusyError(`another pgBackRest command holds stanza ${pgbr.stanza}'s backup lock`);
    }
    throw error;
  }
  const after = await readRepositoryInfo(pgbr);
  const known = new Set(before.backups.map((backup) => backup.label));
  const made = after.backups.filter((backup) => !known.has(backup.label)).at(-1);
  if (!made)
    throw new Error("pgbackrest backup succeeded but no new backup set is listed by pgbackrest info");
  const kept = new Set(after.backups.map((backup) => backup.label));
  return {
    backup: made,
    requestedType: type,
    expired: before.backups.filter((backup) => !kept.has(backup.label)).map((backup) => backup.label),
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * `pgbackrest check`: the repository is reachable and writable, the configuration matches the
 * cluster, and archiving works end to end (it switches to a new WAL segment and waits until
 * `archive-push` stored it). Returns the segment it saw archived.
 *
 * @example
 * await checkArchiving(pgbr) // { walSegment: "0000000100000000000000A4", durationMs: 912 }
 * @throws ProgramFailedError "pgbackrest check failed (exit code 82): ERROR: [082]: WAL segment ... was not archived before the 60000ms timeout ..."
 */
export async function checkArchiving(
  pgbr: PgBackRest,
): Promise<{ walSegment: string | null; durationMs: number }> {
  const result = await runPgBackRest(pgbr, "check", ["--log-level-console=info"], { timeoutMs: 10 * 60_000 });
  const archived = /WAL segment (\S+) successfully archived/.exec(`${result.stdout}\n${result.stderr}`);
  return { walSegment: archived?.[1] ?? null, durationMs: Math.round(result.durationMs) };
}
