import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateToLatest } from "@accounts/db";
import {
  type AppendFsync,
  createDatabase,
  databaseUrl,
  type PostgresServer,
  type RedisServer,
  startPostgres,
  startRedis,
} from "@accounts/devstack";

const TEMPLATE = "accounts_template";

/** A PostgreSQL and a Redis that belong to one runner alone, so that it may kill them. */
export interface OwnServers {
  readonly dir: string;
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  /** The migrated database on `postgres` that app stacks clone. */
  readonly templateDatabase: string;
  /** Stops both and removes their folder. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL (durable settings: fsync and synchronous commit on, as in production) and Redis
 * (AOF with the given fsync policy, `noeviction`) in a new temporary folder, and migrates a template
 * database. For runners outside vitest (fault suite, soak) that cannot use the harness's servers.
 *
 * @example
 * const servers = await startOwnServers({ label: "faults", appendfsync: "always" });
 * await startAppStack({ databaseAdminUrl: servers.postgres.url, redisUrl: servers.redis.url,
 *   templateDatabase: servers.templateDatabase, logDir: servers.dir });
 */
export async function startOwnServers(options: {
  label: string;
  appendfsync: AppendFsync;
}): Promise<OwnServers> {
  const dir = mkdtempSync(join(tmpdir(), `accounts-${options.label}-`));
  // PostgreSQL runs as `postgres` when we are root, and must be able to reach its folder inside.
  chmodSync(dir, 0o755);
  const remove = () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  let redis: RedisServer | undefined;
  let postgres: PostgresServer | undefined;
  const stop = async () => {
    await Promise.allSettled([postgres?.stop(), redis?.stop()]);
    remove();
  };
  try {
    redis = await startRedis({ dataDir: join(dir, "redis"), appendfsync: options.appendfsync, quiet: true });
    postgres = await startPostgres({
      dataDir: join(dir, "postgres"),
      settings: { max_connections: "200" },
      quiet: true,
    });
    await createDatabase(postgres.url, TEMPLATE);
    await migrateToLatest(databaseUrl(postgres.url, TEMPLATE));
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, postgres, redis, templateDatabase: TEMPLATE, stop };
}
