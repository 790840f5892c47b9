import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyOperationBatch,
  createDb,
  createPool,
  type Db,
  ensureBootstrapClient,
  migrateToLatest,
} from "@accounts/db";
import {
  type AppProcess,
  createDatabase,
  databaseUrl,
  freePort,
  killOnExit,
  launchApp,
  type PostgresServer,
  type RedisServer,
  setSynchronousStandbys,
  startPostgres,
  startRedis,
  startStandby,
  waitForReplicaSync,
} from "@accounts/devstack";
import { newQueuedOperation, type OperationRequest } from "@accounts/domain";
import { buildAppsForTests, REPO_ROOT } from "@accounts/tests/harness";
import type pg from "pg";
import { BASELINE_SCHEMA } from "../baseline/schema.ts";
import { ACCOUNTS, FEE_USER, HOT_USER, userName } from "./workloads.ts";

export interface BenchProcess {
  name: string;
  pid: number;
}

export interface BenchStack {
  folder: string;
  apiUrl: string;
  baselineUrl: string;
  apiKey: string;
  /** The Redis the API and the workers use (the sequential mode switches its fsync policy). */
  redisUrl: string;
  /** Where each worker serves /metrics. */
  workerUrls: string[];
  sutPool: pg.Pool;
  processes: BenchProcess[];
  /** Pid of the PostgreSQL postmaster and of Redis, when this run started them. */
  postgresPid?: number;
  redisPid?: number;
  stop(): Promise<void>;
}

/**
 * Everything the benchmark measures, on this machine: PostgreSQL (durable: fsync and synchronous
 * commit on) and Redis (AOF, everysec) started here unless DATABASE_URL / REDIS_URL point elsewhere,
 * the API and the worker(s) of the system under test, and the naive baseline service.
 */
export async function startBenchStack(options: {
  workers: number;
  /** Also start a replica of the Redis started here (`--replica`). */
  replica?: boolean;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** A streaming standby beside the local PostgreSQL, named in synchronous_standby_names. */
  syncStandby?: boolean;
}): Promise<BenchStack> {
  await buildAppsForTests();
  const folder = mkdtempSync(join(tmpdir(), "accounts-bench-"));
  // PostgreSQL runs as the postgres account when we are root: it must enter the folder.
  chmodSync(folder, 0o755);
  let postgres: PostgresServer | undefined;
  let standby: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  let replica: RedisServer | undefined;
  let adminUrl = options.env.DATABASE_URL;
  let redisUrl = options.env.REDIS_URL;
  if (!adminUrl) {
    options.log("starting PostgreSQL");
    postgres = await startPostgres({
      dataDir: join(folder, "pg"),
      quiet: true,
      settings: {
        shared_buffers: "512MB",
        max_wal_size: "4GB",
        checkpoint_timeout: "15min",
        max_connections: "200",
        wal_compression: "on",
      },
    });
    adminUrl = postgres.url;
    if (options.syncStandby) {
      options.log("starting a synchronous standby");
      standby = await startStandby({
        primary: postgres,
        dataDir: join(folder, "standby"),
        name: "standby1",
        quiet: true,
      });
      await setSynchronousStandbys(postgres.url, ["standby1"]);
    }
  }
  if (!redisUrl) {
    options.log("starting Redis");
    redis = await startRedis({
      dataDir: join(folder, "redis"),
      appendfsync: "everysec",
      maxmemory: "4gb",
      quiet: true,
    });
    redisUrl = redis.url;
    if (options.replica) {
      options.log("starting a Redis replica");
      replica = await startRedis({
        dataDir: join(folder, "redis-replica"),
        replicaOf: redis.port,
        appendfsync: "everysec",
        maxmemory: "4gb",
        quiet: true,
      });
      await waitForReplicaSync(redis.port, 1);
    }
  }
  const sutUrl = databaseUrl(adminUrl, "bench_sut");
  const baselineUrl = databaseUrl(adminUrl, "bench_baseline");
  await createDatabase(adminUrl, "bench_sut", { ifNotExists: true });
  await createDatabase(adminUrl, "bench_baseline", { ifNotExists: true });
  await migrateToLatest(sutUrl);
  const sutPool = createPool(sutUrl, { max: 4, applicationName: "bench" });
  const db = createDb(sutPool);
  const apiKey = `ak_0000000000bench0_${randomBytes(32).toString("base64url")}`;
  await ensureBootstrapClient(db, apiKey);
  await seedSystemUnderTest(db, options.log);
  await seedBaseline(baselineUrl);

  const logFile = createWriteStream(join(folder, "processes.log"));
  const processes: BenchProcess[] = [];
  const apps: AppProcess[] = [];
  const toLog = (name: string) => (line: string) => {
    if (!logFile.writableEnded) logFile.write(`[${name}] ${line}\n`);
  };
  // BENCH_CPU_PROF=<folder>: every process writes a V8 CPU profile there when it stops.
  const profile = (name: string) =>
    options.env.BENCH_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${join(options.env.BENCH_CPU_PROF, name)}`]
      : [];
  const launch = (name: string, app: "api" | "worker", env: Record<string, string>) => {
    const launched = launchApp({
      app,
      name,
      // Built, as production runs it: what is measured is the bundle node runs, not tsx's loader.
      mode: "built",
      cwd: REPO_ROOT,
      env: { ...options.env, ...env },
      readyTimeoutMs: 120_000,
      onLine: toLog(name),
      nodeOptions: profile(name),
    });
    apps.push(launched);
    return launched;
  };
  const apiPort = await freePort();
  const common = {
    DATABASE_URL: sutUrl,
    REDIS_URL: redisUrl,
    LOG_LEVEL: "warn",
    SHUTDOWN_GRACE_SECONDS: "0",
  };
  launch("api", "api", { ...common, PORT: String(apiPort), HOST: "127.0.0.1" });
  const workerUrls: string[] = [];
  for (let i = 0; i < options.workers; i++) {
    const port = await freePort();
    workerUrls.push(`http://127.0.0.1:${port}`);
    launch(`worker-${i + 1}`, "worker", { ...common, WORKER_METRICS_PORT: String(port) });
  }
  // The naive baseline is not an app of the repository: it runs from its source.
  const basePort = await freePort();
  const baseline = spawn(
    process.execPath,
    [...profile("baseline"), "--import", "tsx", "tests/bench/baseline/server.ts"],
    {
      cwd: REPO_ROOT,
      env: {
        ...options.env,
        DATABASE_URL: baselineUrl,
        PORT: String(basePort),
        API_KEY: apiKey,
        POOL_MAX: "32",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  killOnExit(baseline);
  for (const stream of [baseline.stdout, baseline.stderr]) {
    stream?.on("data", (chunk: Buffer) => logFile.write(`[baseline] ${chunk}`));
  }
  await Promise.all(apps.map((app) => app.start()));
  for (const app of apps) processes.push({ name: app.name, pid: app.pid() });
  processes.push({ name: "baseline", pid: baseline.pid ?? -1 });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const base = `http://127.0.0.1:${basePort}`;
  await waitReady(`${base}/ready`);
  await db.destroy().catch(() => {});
  const pool = createPool(sutUrl, { max: 4, applicationName: "bench-measure" });

  return {
    folder,
    apiUrl,
    baselineUrl: base,
    apiKey,
    redisUrl,
    workerUrls,
    sutPool: pool,
    processes,
    ...(postgres ? { postgresPid: postgres.pid } : {}),
    ...(redis ? { redisPid: redis.pid } : {}),
    async stop() {
      baseline.kill("SIGTERM");
      await Promise.all([
        ...apps.map((app) => app.stop()),
        new Promise((r) => (baseline.exitCode !== null ? r(null) : baseline.once("exit", r))),
      ]);
      await pool.end().catch(() => {});
      logFile.end();
      await replica?.stop();
      await redis?.stop();
      await standby?.stop();
      await postgres?.stop();
      if (!options.env.KEEP_BENCH_FOLDER) rmSync(folder, { recursive: true, force: true });
    },
  };
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every account gets large balances through the ledger itself (so the books are consistent). */
async function seedSystemUnderTest(db: Db, log: (line: string) => void): Promise<void> {
  const seeded = await db
    .selectFrom("accounts")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirst();
  if (Number(seeded?.n ?? 0) >= ACCOUNTS * 2) return;
  const scales = new Map([
    ["USDT", 6],
    ["BTC", 8],
  ]);
  const credit = (userId: string, currency: string, amount: string): OperationRequest => ({
    type: "credit",
    account: { userId, currency },
    amount,
  });
  for (let start = 0; start < ACCOUNTS; start += 1000) {
    log(`seeding the system under test: ${start * 2}/${ACCOUNTS * 2} balances`);
    const operations = [];
    for (let k = start; k < start + 1000; k++) {
      operations.push(newQueuedOperation(credit(userName(k), "USDT", "100000000"), "seed"));
      operations.push(newQueuedOperation(credit(userName(k), "BTC", "1000000"), "seed"));
    }
    await applyOperationBatch(db, { partition: 0, operations, scales, likelyFresh: true });
  }
  await applyOperationBatch(db, {
    partition: 0,
    operations: [
      newQueuedOperation(credit(HOT_USER, "USDT", "100000000000"), "seed"),
      newQueuedOperation(credit(FEE_USER, "USDT", "1"), "seed"),
    ],
    scales,
  });
}

async function seedBaseline(url: string): Promise<void> {
  const pool = createPool(url, { max: 1 });
  await pool.query(BASELINE_SCHEMA);
  await pool.query(
    `INSERT INTO baseline_accounts (user_id, currency, available)
     SELECT 'u' || g, c, CASE c WHEN 'USDT' THEN 100000000 ELSE 1000000 END
     FROM generate_series(0, ${ACCOUNTS - 1}) g, (VALUES ('USDT'), ('BTC')) cur(c)
     UNION ALL SELECT '${HOT_USER}', 'USDT', 100000000000 UNION ALL SELECT '${FEE_USER}', 'USDT', 1
     ON CONFLICT DO NOTHING`,
  );
  await pool.query("VACUUM ANALYZE baseline_accounts");
  await pool.end();
}
