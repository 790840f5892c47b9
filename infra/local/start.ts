// `npm start`: the whole system on this machine. PostgreSQL and Redis run as project-local child
// processes (data in .data/, or LOCAL_DATA_DIR), unless DATABASE_URL / REDIS_URL point at servers of
// your own; then migrations, then the API, the worker and the scheduler from their TypeScript
// sources. Ctrl-C stops everything, and nothing it started outlives it (see stop-order.ts).
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { migrateToLatest } from "@accounts/db";
import {
  createDatabase,
  findPostgresBinaries,
  findRedisBinaries,
  firstFreePort,
  isPortFree,
  LOCAL_DATABASE,
  LOCAL_POSTGRES_PORT,
  LOCAL_REDIS_PORT,
  localDatabaseUrl,
  localDataDir,
  localPostgresDir,
  localRedisDir,
  readStackState,
  setSynchronousStandbys,
  startPostgres,
  startRedis,
  startStandby,
  updateStackState,
} from "@accounts/devstack";
import { type LocalApp, startLocalApps } from "./local-apps.ts";
import { parseStackEnv, type StackEnv } from "./stack-env.ts";
import { StopOrder } from "./stop-order.ts";

/** pgBackRest's name for the local cluster in its repository (`<data folder>/pgbackrest`). */
const STANZA = "accounts";

const say = (line: string) => console.log(`[start] ${line}`);
const stop = new StopOrder(say);

let env: StackEnv;
try {
  env = parseStackEnv(process.env);
} catch (error) {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
// Relative to the repository, wherever it is started from.
const dataDir = localDataDir(
  { LOCAL_DATA_DIR: env.LOCAL_DATA_DIR },
  resolve(import.meta.dirname, "..", ".."),
);
const logDir = join(dataDir, "logs");

try {
  await main();
} catch (error) {
  if (!stop.requested) {
    console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
    await stop.shutdown(1);
  }
}

async function main(): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  // The first line: from here on a signal stops whatever has started. Tests wait for it.
  say(`data in ${dataDir}`);
  await assertAppPortsFree();
  // Missing programs are reported before anything starts.
  if (!env.DATABASE_URL) findPostgresBinaries();
  if (!env.REDIS_URL) findRedisBinaries();

  if (!env.REDIS_URL) say("starting Redis");
  const redisUrl = env.REDIS_URL ?? (await stop.serverStart(startLocalRedis()));
  if (stop.stopping) return;
  if (!env.DATABASE_URL) say("starting PostgreSQL");
  const postgresUrl = env.DATABASE_URL ?? (await stop.serverStart(startLocalPostgres()));
  if (env.DATABASE_URL) updateStackState(dataDir, { databaseUrl: undefined });
  const archive = stop.servers.postgres?.archive;
  if (stop.stopping) return;
  const replicaUrls = env.DATABASE_URL ? [] : await startLocalStandbys();
  if (stop.stopping) return;

  say("applying migrations");
  const { applied } = await migrateToLatest(postgresUrl);
  say(applied.length ? `migrations applied: ${applied.join(", ")}` : "database schema is up to date");
  if (stop.stopping) return;

  say("starting the apps");
  const apps: LocalApp[] = startLocalApps({
    env: {
      ...process.env,
      DATABASE_URL: postgresUrl,
      ...(replicaUrls.length > 0 ? { DATABASE_REPLICA_URLS: replicaUrls.join(",") } : {}),
      REDIS_URL: redisUrl,
      PORT: String(env.PORT),
      WORKER_METRICS_PORT: String(env.WORKER_METRICS_PORT),
      SCHEDULER_METRICS_PORT: String(env.SCHEDULER_METRICS_PORT),
      LOG_DIR: logDir,
      BACKUP_DIR: process.env.BACKUP_DIR || join(dataDir, "backups"),
      // The scheduler's physical backups and `npm run ctl -- restore --to` use the local server's repository.
      ...(archive ? { PGBACKREST_CONFIG: archive.configFile, PGBACKREST_STANZA: archive.stanza } : {}),
    },
    logDir,
    readyTimeoutMs: 120_000,
    onExit: (app, status) => stop.appExited(app, status),
  });
  stop.watchApps(apps);
  await Promise.all(apps.map((app) => app.process.start()));
  if (stop.stopping) return;

  const api = `http://localhost:${env.PORT}`;
  console.log(
    [
      "",
      "accounts processor is running",
      `  API          ${api}`,
      `  docs         ${api}/docs`,
      `  OpenAPI      ${api}/openapi.json`,
      `  dashboard    ${api}/admin/queues`,
      `  metrics      ${api}/metrics, http://localhost:${env.WORKER_METRICS_PORT}/metrics (worker), http://localhost:${env.SCHEDULER_METRICS_PORT}/metrics (scheduler)`,
      `  PostgreSQL   ${postgresUrl}`,
      ...replicaUrls.map((url, i) => `  standby ${i + 1}    ${url}${i === 0 ? " (synchronous)" : ""}`),
      ...(archive ? [`  WAL archive  ${archive.repoDir} (npm run ctl -- restore --to TIME|latest)`] : []),
      `  Redis        ${redisUrl}`,
      `  logs         ${logDir}`,
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
}

async function startLocalRedis(): Promise<string> {
  const port = await firstFreePort([readStackState(dataDir).redisPort, LOCAL_REDIS_PORT]);
  const redis = await startRedis({
    dataDir: localRedisDir(dataDir),
    port,
    appendfsync: env.REDIS_APPENDFSYNC,
    logFile: join(logDir, "redis.log"),
    quiet: true,
  });
  stop.servers.redis = redis;
  updateStackState(dataDir, { redisPort: port });
  say(`Redis on port ${port} (appendfsync ${env.REDIS_APPENDFSYNC}, data in ${localRedisDir(dataDir)})`);
  return redis.url;
}

async function startLocalPostgres(): Promise<string> {
  const port = await firstFreePort([readStackState(dataDir).postgresPort, LOCAL_POSTGRES_PORT]);
  const postgres = await startPostgres({
    dataDir: localPostgresDir(dataDir),
    port,
    logFile: join(logDir, "postgres.log"),
    // Sized for a developer machine running the benchmark, not for production.
    settings: { shared_buffers: "256MB", max_connections: "200" },
    // Continuous archiving, as in production: point-in-time restores work locally too.
    archiving: { stanza: STANZA, dir: join(dataDir, "pgbackrest") },
    quiet: true,
  });
  stop.servers.postgres = postgres;
  const created = await createDatabase(postgres.url, LOCAL_DATABASE, { ifNotExists: true });
  const url = localDatabaseUrl(port);
  // `npm run ctl` reads it from here when DATABASE_URL is unset.
  updateStackState(dataDir, { postgresPort: port, databaseUrl: url });
  say(
    `PostgreSQL on port ${port} (data in ${localPostgresDir(dataDir)}${created ? `, database ${LOCAL_DATABASE} created` : ""})`,
  );
  return url;
}

/**
 * POSTGRES_STANDBYS streaming standbys beside the local PostgreSQL, in `<data>/postgres-standby<N>`
 * (cloned once with pg_basebackup, each with its replication slot); the first is named in
 * synchronous_standby_names. With 0, any earlier synchronous setting is cleared (a primary waiting
 * for a standby that is not started would hang every commit). Returns their database URLs.
 */
async function startLocalStandbys(): Promise<string[]> {
  const primary = stop.servers.postgres;
  if (!primary) return [];
  const urls: string[] = [];
  const names: string[] = [];
  stop.servers.standbys = [];
  for (let i = 1; i <= env.POSTGRES_STANDBYS; i++) {
    say(`starting PostgreSQL standby ${i}`);
    const standby = await stop.serverStart(
      startStandby({
        primary,
        name: `standby${i}`,
        dataDir: join(dataDir, `postgres-standby${i}`),
        logFile: join(logDir, `postgres-standby${i}.log`),
        settings: { shared_buffers: "128MB", max_connections: "200" },
        quiet: true,
      }),
    );
    stop.servers.standbys.push(standby);
    names.push(standby.name);
    urls.push(localDatabaseUrl(standby.port));
    if (stop.stopping) return urls;
  }
  await setSynchronousStandbys(primary.url, names.slice(0, 1));
  if (names.length > 0)
    say(
      `standbys on ports ${stop.servers.standbys.map((s) => s.port).join(", ")}; ${names[0]} is synchronous`,
    );
  return urls;
}

/** Fails before anything starts when a port the apps need is taken, naming the variable to change. */
async function assertAppPortsFree(): Promise<void> {
  const wanted = [
    ["PORT", env.PORT],
    ["WORKER_METRICS_PORT", env.WORKER_METRICS_PORT],
    ["SCHEDULER_METRICS_PORT", env.SCHEDULER_METRICS_PORT],
  ] as const;
  for (const [variable, port] of wanted) {
    if (!(await isPortFree(port))) {
      throw new Error(
        `port ${port} is already in use; set ${variable} to another port (e.g. ${variable}=${port + 10})`,
      );
    }
  }
}
