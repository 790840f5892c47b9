import { type Db, readArchiverStatus } from "@accounts/db";
import { sql } from "kysely";
import { waitFor } from "../../harness/wait-for.ts";

/** The WAL file being written now: everything committed so far is in it or before it. */
export async function currentWalFile(db: Db): Promise<string> {
  const { rows } = await sql<{ wal: string }>`SELECT pg_walfile_name(pg_current_wal_lsn()) AS wal`.execute(
    db,
  );
  return rows[0]?.wal ?? "";
}

/** Whether the archive holds `walFile` (same timeline: WAL file names sort in WAL order). */
export async function isArchived(db: Db, walFile: string): Promise<boolean> {
  return ((await readArchiverStatus(db)).lastArchivedWal ?? "") >= walFile;
}

/**
 * Waits, without forcing a segment switch, until everything committed so far is in the archive:
 * archive_timeout switches the segment. Returns how long it took.
 */
export async function waitUntilArchived(db: Db, timeoutMs: number): Promise<number> {
  const needed = await currentWalFile(db);
  const started = Date.now();
  await waitFor(() => isArchived(db, needed), {
    timeoutMs,
    intervalMs: 200,
    message: `WAL file ${needed} archived`,
  });
  return Date.now() - started;
}
