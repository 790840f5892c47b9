import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/** The WAL archiver of the server `db` is connected to (`pg_stat_archiver` and the current WAL file). */
export interface ArchiverStatus {
  /** `archive_mode`: `on`, `always` or `off`. */
  archiveMode: string;
  archivedCount: number;
  lastArchivedWal: string | null;
  lastArchivedAt: Date | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedAt: Date | null;
  /** The WAL file being written now (null on a standby, which writes none). */
  currentWal: string | null;
  /** `wal_segment_size` in bytes (16 MiB unless initdb was told otherwise). */
  walSegmentBytes: number;
  /** When the server started: the age of a backlog when nothing was ever archived. */
  serverStartedAt: Date;
  /** The server's clock when it answered. */
  now: Date;
}

/**
 * Reads the archiver's counters and the current WAL file. Any role may: neither `pg_stat_archiver`
 * nor these functions need a privilege.
 *
 * ```sql
 * SELECT current_setting('archive_mode'), archived_count, last_archived_wal, last_archived_time,
 *        failed_count, last_failed_wal, last_failed_time,
 *        CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END,
 *        pg_size_bytes(current_setting('wal_segment_size')), pg_postmaster_start_time(), now()
 * FROM pg_stat_archiver
 * ```
 *
 * @example
 * await readArchiverStatus(db)
 * // { archiveMode: "on", archivedCount: 412, lastArchivedWal: "0000000100000001000000A3", failedCount: 0, ... }
 */
export async function readArchiverStatus(db: Kysely<Database>): Promise<ArchiverStatus> {
  const { rows } = await sql<{
    archive_mode: string;
    archived_count: string;
    last_archived_wal: string | null;
    last_archived_time: Date | null;
    failed_count: string;
    last_failed_wal: string | null;
    last_failed_time: Date | null;
    current_wal: string | null;
    wal_segment_bytes: string;
    started_at: Date;
    now: Date;
  }>`
    SELECT current_setting('archive_mode') AS archive_mode,
           archived_count::text, last_archived_wal, last_archived_time,
           failed_count::text, last_failed_wal, last_failed_time,
           CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS current_wal,
           pg_size_bytes(current_setting('wal_segment_size'))::text AS wal_segment_bytes,
           pg_postmaster_start_time() AS started_at, now() AS now
    FROM pg_stat_archiver
  `.execute(db);
  const row = rows[0];
  if (!row) throw new Error("pg_stat_archiver returned no row");
  return {
    archiveMode: row.archive_mode,
    archivedCount: Number(row.archived_count),
    lastArchivedWal: row.last_archived_wal,
    lastArchivedAt: row.last_archived_time,
    failedCount: Number(row.failed_count),
    lastFailedWal: row.last_failed_wal,
    lastFailedAt: row.last_failed_time,
    currentWal: row.current_wal,
    walSegmentBytes: Number(row.wal_segment_bytes),
    serverStartedAt: row.started_at,
    now: row.now,
  };
}
