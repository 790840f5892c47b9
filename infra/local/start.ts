// `npm start`: the whole system on this machine. PostgreSQL and Redis run as project-local child
// processes (data in .data/), unless DATABASE_URL / REDIS_URL point at servers of your own;
// then migrations, then the API, the worker and the scheduler. Ctrl-C stops everything.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { migrateToLatest } from "@accounts/db";
import {
  createDatabase,
  databaseUrl,
  findPostgresBinaries,
  findRedisBinaries,
  isPortFree,
  type PostgresServer,
  type RedisServer,
  startPostgres,
  startRedis,
} from "@accounts/devstack";
import { type AppName, type AppProcess, startApp } from "./app-processes.ts";
import { parseStackEnv, type StackEnv } from "./stack-env.ts";
import { pickPort, readStackState, writeStackState } from "./stack-state.ts";

const APP_STOP_TIMEOUT_MS = 15_000;
/** pgBackRest's name for the local cluster in its repository (.data/pgbackrest). */
const STANZA = "accounts";
const HEALTH_TIMEOUT_MS = 60_000;
const DATABASE_NAME = "accounts";

const repoRoot = resolve(import.meta.dirname, "..", "..");
const dataRoot = join(repoRoot, ".data");
const logDir = join(dataRoot, "logs");
const say = (line: string) => console.log(`[start] ${line}`);

const running: { postgres?: PostgresServer; redis?: RedisServer; apps: AppProcess[] } = { apps: [] };
let stopping = false;
let stoppingSince = 0;
/** A second signal within this long of the first is the same Ctrl-C delivered twice, not a second press. */
const SAME_SIGNAL_MS = 1000;
/** A server start in progress: a signal waits for it, so that the server is then stopped properly. */
let starting: Promise<unknown> = Promise.resolve();

process.on("SIGINT", () => void shutdown(0, "SIGINT"));
process.on("SIGTERM", () => void shutdown(0, "SIGTERM"));
// Closing the terminal: the servers, in their own process groups, would not get its SIGHUP.
process.on("SIGHUP", () => void shutdown(0, "SIGHUP"));

try {
  const env = parseStackEnv(process.env);
  await main(env);
} catch (error) {
  if (!stopping) {
    console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}

async function main(env: StackEnv): Promise<void> {
  mkdirSync(logDir, { recursive: true });
  await assertAppPortsFree(env);
  // Missing programs are reported before anything starts.
  if (!env.DATABASE_URL) findPostgresBinaries();
  if (!env.REDIS_URL) findRedisBinaries();
  const redisUrl = env.REDIS_URL ?? (await serverStart(startLocalRedis(env)));
  if (stopping) return;
  const postgresUrl = env.DATABASE_URL ?? (await serverStart(startLocalPostgres()));
  const archive = running.postgres?.archive;
  if (stopping) return;

  const { applied } = await migrateToLatest(postgresUrl);
  say(applied.length ? `migrations applied: ${applied.join(", ")}` : "database schema is up to date");
  if (stopping) return;

  const appEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: postgresUrl,
    REDIS_URL: redisUrl,
    PORT: String(env.PORT),
    WORKER_METRICS_PORT: String(env.WORKER_METRICS_PORT),
    SCHEDULER_METRICS_PORT: String(env.SCHEDULER_METRICS_PORT),
    LOG_DIR: logDir,
    // The scheduler's physical backups and `npm run ctl -- restore --to` use the local server's repository.
    ...(archive ? { PGBACKREST_CONFIG: archive.configFile, PGBACKREST_STANZA: archive.stanza } : {}),
  };
  for (const name of ["api", "worker", "scheduler"] satisfies AppName[]) {
    const app = startApp(name, { cwd: repoRoot, env: appEnv, logDir });
    running.apps.push(app);
    void app.exited.then(({ code, signal }) => {
      if (stopping) return;
      console.error(
        `[start] ${name} exited unexpectedly (code ${code}, signal ${signal}); stopping everything`,
      );
      void shutdown(1);
    });
  }

  const api = `http://localhost:${env.PORT}`;
  if (!(await waitForHealth(env.PORT))) return;
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
      ...(archive ? [`  WAL archive  ${archive.repoDir} (npm run ctl -- restore --to TIME|latest)`] : []),
      `  Redis        ${redisUrl}`,
      `  logs         ${logDir}`,
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
}

function serverStart<T>(start: Promise<T>): Promise<T> {
  starting = start;
  return start;
}

async function startLocalRedis(env: StackEnv): Promise<string> {
  const stateFile = join(dataRoot, "stack.json");
  const port = await pickPort(readStackState(stateFile).redisPort, 56379);
  running.redis = await startRedis({
    dataDir: join(dataRoot, "redis"),
    port,
    appendfsync: env.REDIS_APPENDFSYNC,
    logFile: join(logDir, "redis.log"),
    quiet: true,
  });
  writeStackState(stateFile, { ...readStackState(stateFile), redisPort: port });
  say(`Redis on port ${port} (appendfsync ${env.REDIS_APPENDFSYNC}, data in .data/redis)`);
  return running.redis.url;
}

async function startLocalPostgres(): Promise<string> {
  const stateFile = join(dataRoot, "stack.json");
  const port = await pickPort(readStackState(stateFile).postgresPort, 55432);
  running.postgres = await startPostgres({
    dataDir: join(dataRoot, "postgres"),
    port,
    logFile: join(logDir, "postgres.log"),
    // Sized for a developer machine running the benchmark, not for production.
    settings: { shared_buffers: "256MB", max_connections: "200" },
    // Continuous archiving, as in production: point-in-time restores work locally too.
    archiving: { stanza: STANZA, dir: join(dataRoot, "pgbackrest") },
    quiet: true,
  });
  writeStackState(stateFile, { ...readStackState(stateFile), postgresPort: port });
  const created = await createDatabase(running.postgres.url, DATABASE_NAME, { ifNotExists: true });
  say(
    `PostgreSQL on port ${port} (data in .data/postgres${created ? `, database ${DATABASE_NAME} created` : ""})`,
  );
  return databaseUrl(running.postgres.url, DATABASE_NAME);
}

/** Fails before anything starts when a port the apps need is taken, naming the variable to change. */
async function assertAppPortsFree(env: StackEnv): Promise<void> {
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

/** Polls GET /health until it answers 200; false when stopping, throws at the deadline. */
async function waitForHealth(port: number): Promise<boolean> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "no answer";
  while (!stopping) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return true;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the API did not answer GET /health with 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last})`,
      );
    }
    await sleep(250);
  }
  return false;
}

/**
 * Stops the apps first (they drain their active jobs while the servers are still up), then
 * Redis and PostgreSQL gracefully. A second signal while stopping (more than a second after the
 * first) kills everything at once.
 */
async function shutdown(code: number, signal?: NodeJS.Signals): Promise<void> {
  if (stopping) {
    // One Ctrl-C arrives twice under `npm start`: from the terminal and forwarded by npm.
    if (signal && Date.now() - stoppingSince > SAME_SIGNAL_MS) {
      console.error("[start] second signal: killing everything");
      for (const app of running.apps) app.kill();
      process.exit(130); // the devstack's exit hook SIGKILLs the servers
    }
    return;
  }
  stopping = true;
  stoppingSince = Date.now();
  if (signal) say(`${signal}: stopping (again to kill at once)`);
  await Promise.all(running.apps.map((app) => app.stop(APP_STOP_TIMEOUT_MS)));
  await starting.catch(() => {});
  await Promise.allSettled([running.redis?.stop(), running.postgres?.stop()]);
  if (running.apps.length > 0 || running.redis || running.postgres) say("stopped");
  process.exit(code);
}
