/**
 * `npm run bench:core`: operations applied per second by the ledger core alone (no HTTP, no queue),
 * at batch sizes 1, 100 and 1000, against one transaction per operation (a plain UPDATE ... RETURNING),
 * on a uniform workload over 100k accounts and on one hot account. Same database, same run.
 *
 * Each case also reports PostgreSQL's CPU per operation (from /proc, when this run started the
 * server) and the WAL it wrote per operation: what one primary's write rate is made of.
 *
 * Options: --seconds N (per case, default 5), --quick (2 s per case), --json.
 * Starts its own PostgreSQL (durable settings: fsync and synchronous_commit on) in a temporary folder,
 * or uses DATABASE_URL when set (it then writes accounts named bench-*).
 */

import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { applyOperationBatch, createDb, createPool, type Db, migrateToLatest } from "@accounts/db";
import { createDatabase, databaseUrl, type PostgresServer, startPostgres } from "@accounts/devstack";
import type { OperationRequest } from "@accounts/domain";
import { newQueuedOperation, type QueuedOperation } from "@accounts/domain";
import type pg from "pg";
import { treeCpuSeconds } from "../http/measure.ts";

const { values: args } = parseArgs({
  options: { seconds: { type: "string" }, quick: { type: "boolean" }, json: { type: "boolean" } },
});
const seconds = Number(args.seconds ?? (args.quick ? 2 : 5));
const ACCOUNTS = 100_000;
const scales = new Map([["USD", 2]]);

interface CaseResult {
  workload: string;
  mode: string;
  operations: number;
  seconds: number;
  opsPerSecond: number;
  /** Median time of one batch (or one transaction), ms. */
  p50Ms: number;
  /** PostgreSQL's CPU (postmaster and backends) per operation, µs; absent on an external database. */
  postgresUsPerOp?: number;
  /** WAL written per operation, bytes (pg_current_wal_lsn before and after the case). */
  walBytesPerOp?: number;
}

/**
 * Runs a case and adds what it cost PostgreSQL: CPU from /proc when this run started the server,
 * and WAL bytes from the server's write position.
 */
async function withCost(
  pool: pg.Pool,
  postgresPid: number | undefined,
  run: () => Promise<CaseResult>,
): Promise<CaseResult> {
  const lsn = async () =>
    (await pool.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0]?.lsn ?? "0/0";
  const cpuBefore = postgresPid ? treeCpuSeconds(postgresPid) : 0;
  const walBefore = await lsn();
  const result = await run();
  const walAfter = await lsn();
  const cpuAfter = postgresPid ? treeCpuSeconds(postgresPid) : 0;
  const { rows } = await pool.query<{ bytes: string }>("SELECT pg_wal_lsn_diff($1, $2)::text AS bytes", [
    walAfter,
    walBefore,
  ]);
  const ops = Math.max(1, result.operations);
  return {
    ...result,
    ...(postgresPid ? { postgresUsPerOp: ((cpuAfter - cpuBefore) * 1e6) / ops } : {}),
    walBytesPerOp: Number(rows[0]?.bytes ?? 0) / ops,
  };
}

let lastProgress = 0;
/** One progress line on a terminal, rewritten at most four times a second. */
function progress(text: string): void {
  if (args.json || !process.stderr.isTTY) return;
  const now = Date.now();
  if (now - lastProgress < 250 && text !== "") return;
  lastProgress = now;
  process.stderr.write(`\r\x1b[2K${text}`);
}

function uniformUser(): string {
  return `bench-u${Math.floor(Math.random() * ACCOUNTS)}`;
}

/** Alternating credits and reserves of one cent: reserves find funds, every operation is applied. */
function makeRequest(workload: "uniform" | "hot", i: number): OperationRequest {
  const userId = workload === "hot" ? "bench-hot" : uniformUser();
  const account = { userId, currency: "USD" };
  return i % 2 === 0
    ? { type: "credit", account, amount: "0.01" }
    : { type: "reserve", account, amount: "0.01" };
}

function pending(request: OperationRequest): QueuedOperation {
  return newQueuedOperation(request, "bench");
}

async function seed(db: Db): Promise<void> {
  for (let start = 0; start < ACCOUNTS; start += 1000) {
    progress(`seeding accounts ${start}/${ACCOUNTS}`);
    const operations = Array.from({ length: 1000 }, (_, k) =>
      pending({
        type: "credit",
        account: { userId: `bench-u${start + k}`, currency: "USD" },
        amount: "1000000",
      }),
    );
    await applyOperationBatch(db, { partition: 0, operations, scales });
  }
  await applyOperationBatch(db, {
    partition: 0,
    operations: [
      pending({ type: "credit", account: { userId: "bench-hot", currency: "USD" }, amount: "100000000" }),
    ],
    scales,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function runCore(db: Db, workload: "uniform" | "hot", batchSize: number): Promise<CaseResult> {
  const durations: number[] = [];
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const operations = Array.from({ length: batchSize }, (_, k) => pending(makeRequest(workload, done + k)));
    const t = performance.now();
    // As a partition job's first run does: no lookup of stored ids (the primary key guards).
    const outcomes = await applyOperationBatch(db, { partition: 1, operations, scales, likelyFresh: true });
    durations.push(performance.now() - t);
    if (outcomes.some((o) => o.status !== "applied"))
      throw new Error("bench operation rejected: seed too small");
    done += batchSize;
    progress(`${workload} core batch ${batchSize}: ${done} operations`);
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    workload,
    mode: `core, batch ${batchSize}`,
    operations: done,
    seconds: elapsed,
    opsPerSecond: done / elapsed,
    p50Ms: median(durations),
  };
}

/** The naive way: one autocommit UPDATE ... RETURNING per operation, on one connection. */
async function runBaseline(pool: pg.Pool, workload: "uniform" | "hot"): Promise<CaseResult> {
  const client = await pool.connect();
  const durations: number[] = [];
  let done = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < seconds * 1000) {
      const request = makeRequest(workload, done);
      if (request.type !== "credit" && request.type !== "reserve") throw new Error("unexpected");
      const t = performance.now();
      const { rowCount } =
        request.type === "credit"
          ? await client.query(
              `UPDATE accounts SET available = available + $1, total = total + $1, version = version + 1, updated_at = now()
               WHERE user_id = $2 AND currency = $3 RETURNING available, reserved, total, version`,
              [request.amount, request.account.userId, request.account.currency],
            )
          : await client.query(
              `UPDATE accounts SET available = available - $1, reserved = reserved + $1, version = version + 1, updated_at = now()
               WHERE user_id = $2 AND currency = $3 AND available >= $1 RETURNING available, reserved, total, version`,
              [request.amount, request.account.userId, request.account.currency],
            );
      durations.push(performance.now() - t);
      if (rowCount !== 1) throw new Error("baseline update matched no row");
      done += 1;
      if (done % 200 === 0) progress(`${workload} baseline: ${done} operations`);
    }
  } finally {
    client.release();
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    workload,
    mode: "baseline, 1 tx per op",
    operations: done,
    seconds: elapsed,
    opsPerSecond: done / elapsed,
    p50Ms: median(durations),
  };
}

function table(results: CaseResult[]): string {
  const lines = [
    "| workload | mode | ops/s | vs baseline | p50 per batch (ms) | PostgreSQL CPU µs/op | WAL bytes/op |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const baseline = results.find((b) => b.workload === r.workload && b.mode.startsWith("baseline"));
    const ratio = baseline ? `${(r.opsPerSecond / baseline.opsPerSecond).toFixed(1)}x` : "";
    lines.push(
      `| ${r.workload} | ${r.mode} | ${Math.round(r.opsPerSecond).toLocaleString("en-US")} | ${ratio} | ${r.p50Ms.toFixed(2)} | ` +
        `${r.postgresUsPerOp === undefined ? "n/a" : Math.round(r.postgresUsPerOp)} | ${Math.round(r.walBytesPerOp ?? 0).toLocaleString("en-US")} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  let server: PostgresServer | undefined;
  let folder: string | undefined;
  let url = process.env.DATABASE_URL;
  try {
    if (!url) {
      folder = mkdtempSync(join(tmpdir(), "accounts-bench-core-"));
      // PostgreSQL may run as the postgres account (when we are root): it must enter the folder.
      chmodSync(folder, 0o755);
      progress("starting PostgreSQL");
      server = await startPostgres({
        dataDir: join(folder, "pg"),
        quiet: true,
        settings: { shared_buffers: "256MB", max_wal_size: "2GB", checkpoint_timeout: "15min" },
      });
      await createDatabase(server.url, "bench");
      url = databaseUrl(server.url, "bench");
    }
    progress("migrating");
    await migrateToLatest(url);
    const pool = createPool(url, { max: 4, applicationName: "bench-core" });
    const db = createDb(pool);
    await seed(db);
    const results: CaseResult[] = [];
    for (const workload of ["uniform", "hot"] as const) {
      results.push(await withCost(pool, server?.pid, () => runBaseline(pool, workload)));
      for (const size of [1, 100, 1000])
        results.push(await withCost(pool, server?.pid, () => runCore(db, workload, size)));
    }
    await db.destroy();
    progress("");
    if (args.json) {
      console.log(JSON.stringify({ seconds, accounts: ACCOUNTS, results }, null, 2));
    } else {
      console.log(
        `ledger core, ${seconds} s per case, ${ACCOUNTS.toLocaleString("en-US")} accounts, PostgreSQL with fsync on\n`,
      );
      console.log(table(results));
    }
  } finally {
    await server?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  }
}

await main();
