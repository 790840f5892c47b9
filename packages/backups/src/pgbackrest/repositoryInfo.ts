import { z } from "zod";
import { type PgBackRest, runPgBackRest } from "./pgBackRest.ts";

export const BACKUP_TYPES = ["full", "diff", "incr"] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

/** One backup set in the repository, as `pgbackrest info` describes it. */
export interface BackupSet {
  /** e.g. `20261202-010000F`, `20261202-010000F_20261202-020000I`. */
  label: string;
  type: BackupType;
  startedAt: Date;
  /** When it ended: the earliest time it can restore to (at second precision). */
  stoppedAt: Date;
  /** Size of the database it copied. */
  databaseBytes: number;
  /** What it added to the repository (compressed; a diff or incr only stores changed files). */
  repositoryBytes: number;
  /** The backup it depends on (diff and incr), or null for a full. */
  prior: string | null;
  /** WAL segments from its start to its end: the archive must hold them for it to be restorable. */
  walStart: string;
  walStop: string;
}

export interface RepositoryInfo {
  stanza: string;
  /** pgBackRest's status: code 0 is ok; 1 "missing stanza path", 2 "no valid backups"... */
  status: { code: number; message: string };
  /** Oldest first. */
  backups: BackupSet[];
  /** The WAL archive's first and last segment (of the current database version), or null when empty. */
  archive: { min: string; max: string } | null;
}

const infoSchema = z.array(
  z.object({
    name: z.string(),
    status: z.object({ code: z.number(), message: z.string() }),
    archive: z.array(z.object({ min: z.string().nullable(), max: z.string().nullable() })),
    backup: z.array(
      z.object({
        label: z.string(),
        type: z.enum(BACKUP_TYPES),
        error: z.boolean().optional(),
        prior: z.string().nullable(),
        timestamp: z.object({ start: z.number(), stop: z.number() }),
        info: z.object({ size: z.number(), repository: z.object({ delta: z.number() }) }),
        archive: z.object({ start: z.string(), stop: z.string() }),
      }),
    ),
  }),
);

/**
 * Reads `pgbackrest info --output=json` for one stanza.
 *
 * @example
 * parseRepositoryInfo(stdout, "accounts")
 * // { stanza: "accounts", status: { code: 0, message: "ok" }, backups: [{ label: "20261202-010000F", type: "full", ... }],
 * //   archive: { min: "000000010000000000000002", max: "0000000100000000000000A3" } }
 */
export function parseRepositoryInfo(json: string, stanza: string): RepositoryInfo {
  const parsed = infoSchema.parse(JSON.parse(json));
  const entry = parsed.find((candidate) => candidate.name === stanza);
  if (!entry) throw new Error(`pgbackrest info does not list stanza ${stanza}`);
  const backups = entry.backup
    .filter((backup) => backup.error !== true)
    .map(
      (backup): BackupSet => ({
        label: backup.label,
        type: backup.type,
        startedAt: new Date(backup.timestamp.start * 1000),
        stoppedAt: new Date(backup.timestamp.stop * 1000),
        databaseBytes: backup.info.size,
        repositoryBytes: backup.info.repository.delta,
        prior: backup.prior,
        walStart: backup.archive.start,
        walStop: backup.archive.stop,
      }),
    )
    .sort((a, b) => a.stoppedAt.getTime() - b.stoppedAt.getTime() || a.label.localeCompare(b.label));
  // After a stanza-upgrade there is one archive per database version: the last is the current one.
  const current = entry.archive.at(-1);
  return {
    stanza: entry.name,
    status: entry.status,
    backups,
    archive: current?.min && current.max ? { min: current.min, max: current.max } : null,
  };
}

/**
 * The repository's backups and WAL archive, from `pgbackrest info`.
 *
 * @example
 * const info = await readRepositoryInfo(pgbr);
 * info.backups.at(-1)?.label // "20261202-100000F_20261202-110000I"
 */
export async function readRepositoryInfo(pgbr: PgBackRest): Promise<RepositoryInfo> {
  const { stdout } = await runPgBackRest(pgbr, "info", ["--output=json"], { timeoutMs: 120_000 });
  return parseRepositoryInfo(stdout, pgbr.stanza);
}

/**
 * When the newest backup of each type ended. A full backup counts for nothing but `full` here: the
 * alerts ask "is there a recent incremental", and a full one in its place is reported under `full`.
 *
 * @example
 * newestBackupTimes(info) // { full: 2026-11-29T01:00:04Z, diff: 2026-12-02T01:00:09Z, incr: undefined }
 */
export function newestBackupTimes(info: RepositoryInfo): Record<BackupType, Date | undefined> {
  const newest: Record<BackupType, Date | undefined> = { full: undefined, diff: undefined, incr: undefined };
  for (const backup of info.backups) {
    const known = newest[backup.type];
    if (!known || backup.stoppedAt > known) newest[backup.type] = backup.stoppedAt;
  }
  return newest;
}
