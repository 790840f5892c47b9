import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type PgBackRest, resolvePgBackRest, takePhysicalBackup } from "@accounts/backups";
import { createDb, createPool, type Db, migrateToLatest } from "@accounts/db";
import { createDatabase, databaseUrl, type PostgresServer, startPostgres } from "@accounts/devstack";
import { sql } from "kysely";
import { waitFor } from "../../harness/index.ts";

export const DATABASE = "accounts";
export const STANZA = "accounts";

/** A durable PostgreSQL that archives its WAL into its own pgBackRest repository. */
export interface ArchivingServer {
  server: PostgresServer;
  /** The migrated accounts database. */
  url: string;
  db: Db;
  pgbackrest: PgBackRest;
  /** The repository's configuration, for PGBACKREST_CONFIG. */
  configFile: string;
}

/**
 * Starts PostgreSQL with production's durability (fsync, synchronous_commit and full_page_writes on)
 * in `<dir>/pg`, archiving into `<dir>/pgbackrest`, creates and migrates the accounts database, and
 * (unless `backup: false`) takes a full backup to restore from. `dir` must be reachable by the
 * postgres account when running as root.
 *
 * @example
 * const primary = await startArchivingServer({ dir: "/tmp/pitr/primary", archiveTimeoutSeconds: 10 });
 */
export async function startArchivingServer(options: {
  dir: string;
  archiveTimeoutSeconds: number;
  settings?: Record<string, string>;
  backup?: boolean;
}): Promise<ArchivingServer> {
  mkdirSync(options.dir, { recursive: true, mode: 0o755 });
  const server = await startPostgres({
    dataDir: join(options.dir, "pg"),
    archiving: {
      stanza: STANZA,
      dir: join(options.dir, "pgbackrest"),
      archiveTimeoutSeconds: options.archiveTimeoutSeconds,
    },
    ...(options.settings ? { settings: options.settings } : {}),
    quiet: true,
  });
  try {
    await createDatabase(server.url, DATABASE);
    const url = databaseUrl(server.url, DATABASE);
    await migrateToLatest(url);
    const configFile = server.archive?.configFile ?? "";
    const pgbackrest = resolvePgBackRest({ configFile, stanza: STANZA });
    const db = createDb(createPool(url, { max: 4, applicationName: "recovery" }));
    if (options.backup !== false) {
      const { backup } = await takePhysicalBackup(pgbackrest, "full");
      // pgBackRest records a backup's end to the second, and no time before that end can be restored
      // to: a test that notes its target time right away could pick one inside that second.
      await waitFor(
        async () => {
          const { rows } = await sql<{ now: Date }>`SELECT clock_timestamp() AS now`.execute(db);
          return (rows[0]?.now.getTime() ?? 0) > backup.stoppedAt.getTime() + 1000;
        },
        { message: "the server's clock past the backup's recorded end", intervalMs: 100 },
      );
    }
    return { server, url, db, pgbackrest, configFile };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
