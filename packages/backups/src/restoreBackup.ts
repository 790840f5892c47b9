import { basename } from "node:path";
import { type CountedTable, closeInterruptedRuns, countTableRows, createDb, createPool } from "@accounts/db";
import { createDatabase, databaseUrl, dropDatabase } from "@accounts/devstack";
import { listArchive } from "./archive.ts";
import { verifyChecksum } from "./checksum.ts";
import { RestoreRefusedError } from "./errors.ts";
import { type PgTools, pgConnection } from "./pgTools.ts";
import { runProgram } from "./program.ts";
import { inspectDatabase, renameDatabase } from "./targetDatabase.ts";

/** Room is left for the `_restoring` suffix within PostgreSQL's 63-byte names. */
const DATABASE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,52}$/;
const SCRATCH_SUFFIX = "_restoring";

export interface RestoreOptions {
  /** The backup file; `<file>.sha256` must be beside it. */
  file: string;
  /**
   * A URL of the server to restore to, whose user may create and drop databases; its database
   * part is replaced by `adminDatabase` for CREATE / DROP / RENAME.
   */
  serverUrl: string;
  /** Database to connect to for CREATE / DROP (default `postgres`). */
  adminDatabase?: string;
  /** The database to restore into. */
  target: string;
  /** Replace a target that holds anything. Without it, such a target is refused. */
  force: boolean;
  tools: PgTools;
  /** Skip GRANTs (a server without the `accounts_app` / `accounts_readonly` roles). */
  noAcl?: boolean;
  /** Progress lines ("checksum verified", "restoring into ..."). */
  onStep?: (line: string) => void;
}

export interface RestoreResult {
  database: string;
  /** A non-empty database of that name was replaced. */
  replaced: boolean;
  sha256: string;
  archiveEntries: number;
  restoreMs: number;
  durationMs: number;
  counts: Record<CountedTable, number>;
  /** Runs that were in progress when the backup was taken, closed as failed (the backup's own run among them). */
  closedRuns: number;
}

/**
 * Restores a backup into `target`, all or nothing:
 *
 * 1. the file's SHA-256 must match `<file>.sha256` and `pg_restore --list` must read it (a damaged
 *    or altered file is refused before anything changes);
 * 2. a target that holds anything is refused unless `force`;
 * 3. pg_restore (`--no-owner --exit-on-error --single-transaction`) fills a fresh scratch database
 *    `<target>_restoring` created from template0;
 * 4. only then is the old target dropped (its sessions are ended) and the scratch renamed to it;
 * 5. maintenance runs that were in progress when the backup was taken are closed as failed (they
 *    can never finish in the restored database), and every table's rows are counted.
 *
 * A failure at any step leaves the old target as it was.
 *
 * @example
 * await restoreBackup({ file: "/backups/accounts-20261127T060000.000Z.dump", serverUrl: process.env.DATABASE_URL,
 *   target: "accounts", force: true, tools: resolvePgTools() })
 * // { database: "accounts", replaced: true, counts: { accounts: 1200, operations: 5400, ... }, ... }
 * @throws BackupVerificationError when the checksum does not match or the archive is unreadable
 * @throws RestoreRefusedError "database accounts is not empty (87 relations): pass --force to replace it"
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const step = options.onStep ?? (() => {});
  if (!DATABASE_NAME.test(options.target)) {
    throw new RestoreRefusedError(
      `"${options.target}" is not a database name this command restores into (letters, digits, _ and -, at most 53)`,
    );
  }
  const sha256 = await verifyChecksum(options.file);
  step(`checksum verified: ${basename(options.file)} sha256 ${sha256}`);
  const listing = await listArchive(options.tools, options.file);
  step(`archive readable: ${listing.entries} entries`);

  const adminUrl = databaseUrl(options.serverUrl, options.adminDatabase ?? "postgres");
  const target = await inspectDatabase(adminUrl, options.target);
  if (target.relations > 0 && !options.force) {
    throw new RestoreRefusedError(
      `database ${options.target} is not empty (${target.relations} relations): pass --force to replace it ` +
        "(stop the API, workers and scheduler first), or --database NAME to restore beside it",
    );
  }

  const scratch = `${options.target}${SCRATCH_SUFFIX}`;
  await dropDatabase(adminUrl, scratch);
  await createDatabase(adminUrl, scratch, { template: "template0" });
  step(`restoring into ${scratch}`);
  const connection = pgConnection(databaseUrl(options.serverUrl, scratch));
  const args = [
    "--no-owner",
    "--exit-on-error",
    "--single-transaction",
    ...(options.noAcl ? ["--no-acl"] : []),
  ];
  let restoreMs: number;
  try {
    const restored = await runProgram(options.tools.pgRestore, [...args, ...connection.args, options.file], {
      env: connection.env,
    });
    restoreMs = restored.durationMs;
  } catch (error) {
    await dropDatabase(adminUrl, scratch).catch(() => {});
    throw error;
  }

  if (target.exists) {
    step(`replacing database ${options.target}`);
    await dropDatabase(adminUrl, options.target);
  }
  await renameDatabase(adminUrl, scratch, options.target);
  step(`restored into ${options.target}`);

  const db = createDb(createPool(databaseUrl(options.serverUrl, options.target), { max: 1 }));
  try {
    const closedRuns = await closeInterruptedRuns(
      db,
      "in progress when the backup was taken; closed by the restore",
    );
    return {
      closedRuns,
      database: options.target,
      replaced: target.relations > 0,
      sha256,
      archiveEntries: listing.entries,
      restoreMs: Math.round(restoreMs),
      durationMs: Math.round(performance.now() - started),
      counts: await countTableRows(db),
    };
  } finally {
    await db.destroy();
  }
}
