import { readdirSync, readFileSync } from "node:fs";
import type pg from "pg";

/**
 * CPU seconds (user + system) used so far by a process and by its children that have exited and
 * were reaped, from /proc (Linux). Counting the reaped children keeps a tree's figure from falling
 * when PostgreSQL backends exit between two readings.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime and cstime are fields 14 to 17 of stat, 12 to 15 after the command.
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

/** A process and all its descendants (PostgreSQL backends are children of the postmaster). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** CPU seconds of a whole process tree, exited and reaped processes included. */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

export interface AppliedStats {
  /** Operations accepted in the window that are now applied or rejected. */
  finished: number;
  /** Operations finished inside the window, per second of the window. */
  appliedPerSecond: number;
  /** Accept-to-finish latency of operations accepted in the window, ms. */
  latencyMs: { p50: number; p95: number; p99: number };
  /** Finished operations per second of the window, second by second. */
  timeline: number[];
}

/**
 * What the system under test applied, from the timestamps it stored: accepted_at (taken at the API)
 * and finished_at (the worker's commit).
 */
export async function appliedStats(pool: pg.Pool, from: number, to: number): Promise<AppliedStats> {
  const fromTs = new Date(from);
  const toTs = new Date(to);
  const { rows } = await pool.query<{
    finished: string;
    within: string;
    p50: number;
    p95: number;
    p99: number;
  }>(
    `SELECT count(*) AS finished,
            count(*) FILTER (WHERE finished_at <= $2) AS within,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - accepted_at)) * 1000 AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - accepted_at)) * 1000 AS p95,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - accepted_at)) * 1000 AS p99
     FROM operations WHERE accepted_at BETWEEN $1 AND $2 AND client_id <> 'seed'`,
    [fromTs, toTs],
  );
  const seconds = Math.ceil((to - from) / 1000);
  const timelineRows = await pool.query<{ second: number; n: string }>(
    `SELECT floor(extract(epoch FROM finished_at - $1::timestamptz))::int AS second, count(*) AS n
     FROM operations WHERE finished_at BETWEEN $1 AND $2 AND client_id <> 'seed' GROUP BY 1`,
    [fromTs, toTs],
  );
  const timeline = Array.from({ length: seconds }, () => 0);
  for (const r of timelineRows.rows)
    if (r.second >= 0 && r.second < seconds) timeline[r.second] = Number(r.n);
  const row = rows[0];
  return {
    finished: Number(row?.finished ?? 0),
    appliedPerSecond: Number(row?.within ?? 0) / ((to - from) / 1000),
    latencyMs: { p50: row?.p50 ?? 0, p95: row?.p95 ?? 0, p99: row?.p99 ?? 0 },
    timeline,
  };
}

/** Waits until `expected` operations accepted since `from` are finished, or they stop progressing. */
export async function drain(
  pool: pg.Pool,
  from: number,
  expected: number,
  stallMs = 15_000,
): Promise<number> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { rows } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM operations WHERE accepted_at >= $1 AND client_id <> 'seed'",
      [new Date(from)],
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n >= expected) return n;
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) return n;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
