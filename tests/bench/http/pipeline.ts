/**
 * Where a phase's operations went between the API and PostgreSQL, from the apps' own metrics read
 * before and after it: how many operations each queue job carried (the API's coalescing), how many
 * jobs and operations each worker transaction applied (the worker absorbs waiting jobs), and how
 * long the transactions took. These explain the applied rate: a worker bound by a fixed cost per
 * transaction applies more when each transaction carries more. And what PostgreSQL did meanwhile
 * that stalls commits (checkpoints, autovacuum and autoanalyze runs): the latency tail of a phase
 * that follows heavy ones can come from them.
 */
import type pg from "pg";

export interface PipelineCounters {
  /** Jobs the API stored, and the operations they carried. */
  jobs: number;
  jobOperations: number;
  /** Transactions the workers committed (one per partition job they ran), their operations and time. */
  transactions: number;
  transactionOperations: number;
  transactionSeconds: number;
  /** PostgreSQL checkpoints, and autovacuum plus autoanalyze runs on the system's tables. */
  checkpoints: number;
  autovacuums: number;
}

export interface PipelineRow {
  workload: string;
  mode: string;
  seconds: number;
  counters: PipelineCounters;
}

/** Sums every sample of `name` (all label sets) in a Prometheus text page. */
function sample(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

async function page(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return res.ok ? await res.text() : "";
  } catch {
    return "";
  }
}

/** Checkpoints so far (pg_stat_checkpointer from PostgreSQL 17, pg_stat_bgwriter before). */
async function checkpoints(pool: pg.Pool): Promise<number> {
  for (const text of [
    "SELECT num_timed + num_requested AS n FROM pg_stat_checkpointer",
    "SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter",
  ]) {
    try {
      const { rows } = await pool.query<{ n: string }>(text);
      return Number(rows[0]?.n ?? 0);
    } catch {
      // not this version's view
    }
  }
  return 0;
}

async function autovacuums(pool: pg.Pool): Promise<number> {
  const { rows } = await pool
    .query<{ n: string | null }>(
      "SELECT sum(autovacuum_count + autoanalyze_count) AS n FROM pg_stat_user_tables",
    )
    .catch(() => ({ rows: [{ n: "0" }] }));
  return Number(rows[0]?.n ?? 0);
}

/** The counters now, from the API's and every worker's `/metrics`, and PostgreSQL's statistics. */
export async function readPipeline(
  apiUrl: string,
  workerUrls: readonly string[],
  pool: pg.Pool,
): Promise<PipelineCounters> {
  const api = await page(`${apiUrl}/metrics`);
  const workers = await Promise.all(workerUrls.map((url) => page(`${url}/metrics`)));
  const total = (name: string) => workers.reduce((sum, text) => sum + sample(text, name), 0);
  return {
    jobs: sample(api, "accounts_coalesced_batch_operations_count"),
    jobOperations: sample(api, "accounts_coalesced_batch_operations_sum"),
    transactions: total("accounts_apply_batch_operations_count"),
    transactionOperations: total("accounts_apply_batch_operations_sum"),
    transactionSeconds: total("accounts_apply_batch_duration_seconds_sum"),
    checkpoints: await checkpoints(pool),
    autovacuums: await autovacuums(pool),
  };
}

export function pipelineDelta(before: PipelineCounters, after: PipelineCounters): PipelineCounters {
  return {
    jobs: after.jobs - before.jobs,
    jobOperations: after.jobOperations - before.jobOperations,
    transactions: after.transactions - before.transactions,
    transactionOperations: after.transactionOperations - before.transactionOperations,
    transactionSeconds: after.transactionSeconds - before.transactionSeconds,
    checkpoints: after.checkpoints - before.checkpoints,
    autovacuums: after.autovacuums - before.autovacuums,
  };
}

/** One row per phase of the system under test (the phase and the drain after it). */
export function pipelineTable(rows: readonly PipelineRow[]): string {
  const f = (n: number, digits = 1) =>
    Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "-";
  return [
    "| workload | mode | jobs stored | operations per job | worker transactions | jobs per transaction | operations per transaction | ms per transaction (mean) | transactions/s | PostgreSQL checkpoints | autovacuum/analyze runs |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => {
      const c = r.counters;
      return `| ${r.workload} | ${r.mode} | ${f(c.jobs, 0)} | ${f(c.jobOperations / c.jobs)} | ${f(c.transactions, 0)} | ${f(c.jobs / c.transactions)} | ${f(c.transactionOperations / c.transactions)} | ${f((1000 * c.transactionSeconds) / c.transactions, 2)} | ${f(c.transactions / r.seconds, 0)} | ${c.checkpoints} | ${c.autovacuums} |`;
    }),
  ].join("\n");
}
