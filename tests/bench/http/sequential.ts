/**
 * `npm run bench -- --sequential [--requests N]`: the latency of ONE acknowledgement. One caller on
 * an otherwise idle stack sends N single-operation POSTs (credits), each awaited before the next,
 * with Redis's AOF at `appendfsync always` (every acknowledged job is on disk before the 202), and
 * the same again with `everysec`. Beside it, the floors its time is made of, measured the same way
 * from the same process:
 *
 * - `http floor`: a POST the API refuses at validation (400): HTTP, the body, authentication and
 *   validation, without storing anything;
 * - `redis store`: one MULTI of the size the API sends (an HSET of one pending record and its EXPIRE,
 *   plus an RPUSH of a job-sized payload) from this process to the same Redis: one round trip, and
 *   under `always` one fsync;
 * - the rest (`202 - http floor - redis store`): the accept path inside the API (coalescing, the job
 *   of BullMQ, its add script, the answer) and what it waits for behind the worker.
 *
 * The `always` row is measured twice: with the worker applying each job as it comes (its own Redis
 * writes, each an fsync, and its PostgreSQL commit share Redis and the cores with the next POST),
 * and with the worker paused (SIGSTOP; it catches up after), which isolates the accept path. The
 * paused row sends at most 100 POSTs: beyond, jobs pile up past the backpressure's limit
 * (BACKLOG_MAX_WAITING_JOBS) and the API rightly holds them.
 */
import { Redis } from "ioredis";
import { Pool } from "undici";
import type { BenchStack } from "./stack.ts";
import { requestGenerator } from "./workloads.ts";

export interface Percentiles {
  p50: number;
  p99: number;
  mean: number;
}

export interface SequentialResult {
  requests: number;
  fsync: "always" | "everysec";
  /** The workers were stopped (SIGSTOP) during the measurement. */
  workerPaused: boolean;
  accepted: Percentiles;
  httpFloor: Percentiles;
  redisStore: Percentiles;
  errors: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  return { p50: at(0.5), p99: at(0.99), mean };
}

async function timed(n: number, one: () => Promise<boolean>): Promise<{ ms: number[]; errors: number }> {
  const ms: number[] = [];
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    if (!(await one())) errors += 1;
    ms.push(performance.now() - t);
  }
  return { ms, errors };
}

/** Runs the sequential measurement under both fsync policies; leaves Redis at `everysec`. */
export async function runSequential(stack: BenchStack, requests: number): Promise<SequentialResult[]> {
  const http = new Pool(stack.apiUrl, { connections: 1, pipelining: 1, keepAliveTimeout: 30_000 });
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
  const headers = { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" };
  const next = requestGenerator("uniform");
  let counter = 0;
  const post = async (body: string, expect: number): Promise<boolean> => {
    const res = await http.request({ path: "/v1/operations", method: "POST", headers, body });
    await res.body.dump();
    return res.statusCode === expect;
  };
  const credit = () => JSON.stringify({ ...next(counter++), type: "credit" });
  const invalid = JSON.stringify({
    type: "credit",
    account: { userId: "u1", currency: "USDT" },
    amount: "x",
  });
  const payload = JSON.stringify({ v: 1, operations: [JSON.parse(credit())] });
  const storeOnce = async (): Promise<boolean> => {
    const key = "bench:sequential";
    const results = await redis
      .multi()
      .rpush(`${key}:jobs`, payload)
      .hset(`${key}:pending`, `op-${counter++}`, "accepted")
      .expire(`${key}:pending`, 60)
      .exec();
    return results?.every(([error]) => !error) ?? false;
  };
  const results: SequentialResult[] = [];
  try {
    // Warm up: the API's JIT, its connections, the client cache.
    await timed(50, () => post(credit(), 202));
    await timed(50, () => post(invalid, 400));
    const workers = stack.processes.filter((p) => p.name.startsWith("worker"));
    const cases = [
      { fsync: "always", workerPaused: false },
      { fsync: "always", workerPaused: true },
      { fsync: "everysec", workerPaused: false },
    ] as const;
    for (const { fsync, workerPaused } of cases) {
      await redis.config("SET", "appendfsync", fsync);
      if (workerPaused) for (const w of workers) process.kill(w.pid, "SIGSTOP");
      const n = workerPaused ? Math.min(requests, 100) : requests;
      const accepted = await timed(n, () => post(credit(), 202));
      const floor = await timed(n, () => post(invalid, 400));
      const store = await timed(n, storeOnce);
      if (workerPaused) for (const w of workers) process.kill(w.pid, "SIGCONT");
      results.push({
        requests: n,
        fsync,
        workerPaused,
        accepted: percentiles(accepted.ms),
        httpFloor: percentiles(floor.ms),
        redisStore: percentiles(store.ms),
        errors: accepted.errors + floor.errors + store.errors,
      });
    }
  } finally {
    for (const w of stack.processes) if (w.name.startsWith("worker")) process.kill(w.pid, "SIGCONT");
    await redis.config("SET", "appendfsync", "everysec").catch(() => {});
    await redis.del("bench:sequential:jobs", "bench:sequential:pending").catch(() => 0);
    redis.disconnect();
    await http.close();
  }
  return results;
}

/** The Markdown of a sequential run: one row per fsync policy, and the breakdown of the median. */
export function sequentialMarkdown(results: readonly SequentialResult[]): string {
  const f = (n: number) => n.toFixed(2);
  const rows = results.map((r) => {
    const rest = r.accepted.p50 - r.httpFloor.p50 - r.redisStore.p50;
    return `| ${r.fsync} | ${r.workerPaused ? "paused" : "applying"} | ${r.requests} | ${f(r.accepted.p50)} / ${f(r.accepted.p99)} | ${f(r.httpFloor.p50)} / ${f(r.httpFloor.p99)} | ${f(r.redisStore.p50)} / ${f(r.redisStore.p99)} | ${f(rest)} | ${r.errors} |`;
  });
  return [
    "| Redis appendfsync | worker | POSTs | 202 p50 / p99 ms | http floor (400) p50 / p99 | redis store (MULTI) p50 / p99 | rest of the accept path (p50) | errors |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
}
