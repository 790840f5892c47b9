import { Kysely, type MigrationResult, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import { migrations } from "./migrations/index.ts";
import { createPool } from "./pool.ts";

/** Any constant: the advisory lock that serialises migration runners across processes. */
const MIGRATION_LOCK = 7_734_001;

export interface MigrateOutcome {
  applied: string[];
}

/**
 * Brings the database at `connectionString` to the latest migration. Safe when several processes
 * run it at once: they queue on a session advisory lock, and each finds what the others applied.
 * (Kysely's own lock table would do for the migrations themselves, but not for the first creation
 * of that table, which races.)
 *
 * @example
 * await migrateToLatest(process.env.DATABASE_URL) // { applied: ["20261127000000_initial"] }
 */
export async function migrateToLatest(connectionString: string): Promise<MigrateOutcome> {
  const lockClient = new pg.Client({ connectionString, application_name: "accounts-migrate-lock" });
  // The server may end a connection at any moment (it is shutting down: npm start stopped during
  // migrations): the query in flight fails, which is not a reason to crash the process.
  lockClient.on("error", () => {});
  await lockClient.connect();
  // createPool listens on its idle and its checked-out clients alike (pool.ts).
  const pool = createPool(connectionString, { max: 1, applicationName: "accounts-migrate" });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    await lockClient.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r: MigrationResult) => r.status === "Error");
    if (error) {
      const where = failed ? ` in migration ${failed.migrationName}` : "";
      throw new Error(`migration failed${where}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
  } finally {
    await lockClient.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    await lockClient.end().catch(() => {});
    await db.destroy();
  }
}
