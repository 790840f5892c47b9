import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateToLatest } from "@accounts/db";
import {
  createDatabase,
  databaseUrl,
  type PostgresServer,
  postgresRunAs,
  type RedisServer,
  signalGroup,
  startPostgres,
  startRedis,
} from "@accounts/devstack";
import type { TestProject } from "vitest/node";
import { buildAppsForTests } from "./built-apps.ts";
import "./provided-context.ts";
import { HARNESS_DIR_PREFIX, OWNER_FILE, reapStaleHarnesses } from "./stale-harnesses.ts";

const TEMPLATE_DATABASE = "accounts_template";
const STANZA = "accounts";

/** Durability is worthless for throwaway data; these settings make the tests several times faster. */
const FAST_UNSAFE_SETTINGS = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  max_connections: "300",
};

/**
 * Starts a disposable PostgreSQL and Redis for the whole run (on free ports, in a temporary
 * folder), migrates the template database that each test file clones, and provides their URLs.
 * Builds the apps first (`npm run build`, under a second): tests run them as production does.
 * Everything is removed at the end, whether tests failed, vitest was interrupted, or setup
 * itself failed half way.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  reapStaleHarnesses();
  const harnessDir = mkdtempSync(join(tmpdir(), HARNESS_DIR_PREFIX));
  writeFileSync(join(harnessDir, OWNER_FILE), JSON.stringify({ pid: process.pid }));
  const servers: { postgres?: PostgresServer; redis?: RedisServer } = {};

  // vitest answers SIGINT/SIGTERM with process.exit() a millisecond later, so no async teardown
  // can run then: kill and remove synchronously from the 'exit' event instead.
  const removeNow = () => {
    for (const server of [servers.postgres, servers.redis]) if (server) signalGroup(server.pid, "SIGKILL");
    rmSync(harnessDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    removeNow();
    // Only when nobody else (vitest) handles the signal do we restore its default: dying.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.once("exit", removeNow);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const teardown = async () => {
    process.off("exit", removeNow);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await Promise.allSettled([servers.postgres?.stop(), servers.redis?.stop()]);
    removeNow();
  };

  try {
    await buildAppsForTests();
    // PostgreSQL runs as `postgres` when we are root, and mkdtemp made the folder root-only.
    const account = postgresRunAs();
    if (account) chownSync(harnessDir, account.uid, account.gid);
    // Started one after the other so that a failure of one never leaves the other half-started
    // outside `servers`, where teardown could not see it.
    servers.redis = await startRedis({ dataDir: join(harnessDir, "redis"), appendfsync: "no", quiet: true });
    // Archiving on, as in production: WAL goes to a pgBackRest repository in the harness folder, so
    // that the backup tasks and anything else that relies on archiving run against the real thing.
    servers.postgres = await startPostgres({
      dataDir: join(harnessDir, "postgres"),
      settings: FAST_UNSAFE_SETTINGS,
      archiving: { stanza: STANZA, dir: join(harnessDir, "pgbackrest") },
      quiet: true,
    });
    await createDatabase(servers.postgres.url, TEMPLATE_DATABASE);
    await migrateToLatest(databaseUrl(servers.postgres.url, TEMPLATE_DATABASE));
    project.provide("adminDatabaseUrl", servers.postgres.url);
    project.provide("redisUrl", servers.redis.url);
  } catch (error) {
    await teardown();
    throw error;
  }

  project.provide("templateDatabase", TEMPLATE_DATABASE);
  project.provide("harnessDir", harnessDir);
  project.provide("pgbackrestConfig", servers.postgres.archive?.configFile ?? "");
  project.provide("pgbackrestStanza", STANZA);
  return teardown;
}
