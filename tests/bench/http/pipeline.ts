/**
 * Where a phase's operations went between the API and PostgreSQL, from the apps' own metrics read
 * before and after it: how many operations each queue job carried (the API's coalescing), how many
 * jobs and operations each worker transaction applied (the worker absorbs waiting jobs), and how
 * long the transactions took. These explain the applied rate: a worker bound by a fixed cost per
 * transaction applies more when each transaction carries more.
 */

export interface PipelineCounters {
  /** Jobs the API stored, and the operations they carried. */
  jobs: number;
  jobOperations: number;
  /** Transactions the workers committed (one per partition job they ran), their operations and time. */
  transactions: number;
  transactionOperations: number;
  transactionSeconds: number;
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

/** The counters now, from the API's and every worker's `/metrics`. */
export async function readPipeline(apiUrl: string, workerUrls: readonly string[]): Promise<PipelineCounters> {
  const api = await page(`${apiUrl}/metrics`);
  const workers = await Promise.all(workerUrls.map((url) => page(`${url}/metrics`)));
  const total = (name: string) => workers.reduce((sum, text) => sum + sample(text, name), 0);
  return {
    jobs: sample(api, "accounts_coalesced_batch_operations_count"),
    jobOperations: sample(api, "accounts_coalesced_batch_operations_sum"),
    transactions: total("accounts_apply_batch_operations_count"),
    transactionOperations: total("accounts_apply_batch_operations_sum"),
    transactionSeconds: total("accounts_apply_batch_duration_seconds_sum"),
  };
}

export function pipelineDelta(before: PipelineCounters, after: PipelineCounters): PipelineCounters {
  return {
    jobs: after.jobs - before.jobs,
    jobOperations: after.jobOperations - before.jobOperations,
    transactions: after.transactions - before.transactions,
    transactionOperations: after.transactionOperations - before.transactionOperations,
    transactionSeconds: after.transactionSeconds - before.transactionSeconds,
  };
}

/** One row per phase of the system under test (the phase and the drain after it). */
export function pipelineTable(rows: readonly PipelineRow[]): string {
  const f = (n: number, digits = 1) =>
    Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "-";
  return [
    "| workload | mode | jobs stored | operations per job | worker transactions | jobs per transaction | operations per transaction | ms per transaction (mean) | transactions/s |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => {
      const c = r.counters;
      return `| ${r.workload} | ${r.mode} | ${f(c.jobs, 0)} | ${f(c.jobOperations / c.jobs)} | ${f(c.transactions, 0)} | ${f(c.jobs / c.transactions)} | ${f(c.transactionOperations / c.transactions)} | ${f((1000 * c.transactionSeconds) / c.transactions, 2)} | ${f(c.transactions / r.seconds, 0)} |`;
    }),
  ].join("\n");
}
