/**
 * The load generator, run as its own process (so its CPU is counted apart from the system under
 * test): HTTP/1.1 keep-alive through an undici Pool, closed loop (N connections, each sending its next
 * request when the previous answered) or open loop (a fixed rate, bounded in-flight).
 *
 * argv[2]: JSON LoadSpec. Prints one JSON LoadResult on stdout.
 */
import { Pool } from "undici";
import { runClientLoad } from "./clientMode.ts";
import { latencySummary } from "./latency.ts";
import { requestGenerator, type WorkloadName } from "./workloads.ts";

export interface LoadSpec {
  url: string;
  apiKey: string;
  workload: WorkloadName;
  /** Operations per request: 1 posts to /v1/operations, more to /v1/operations/batch. */
  batch: number;
  seconds: number;
  connections: number;
  /** Requests per second (open loop); absent: closed loop as fast as answers come. */
  rate?: number;
  /** `connections` callers submitting through `@accounts/client` (clientMode.ts) instead of raw requests. */
  client?: boolean;
}

export interface LoadResult {
  requests: number;
  operations: number;
  /** Requests answered 2xx. */
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  /** Request latency percentiles, ms. */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Operations answered 2xx per elapsed second. */
  timeline: number[];
  startedAt: number;
  endedAt: number;
  /** HTTP requests made (client mode, where one submit is not one request). */
  httpRequests?: number;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const pool = new Pool(spec.url, { connections: spec.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const next = requestGenerator(spec.workload);
  const path = spec.batch > 1 ? "/v1/operations/batch" : "/v1/operations";
  const headers = { authorization: `Bearer ${spec.apiKey}`, "content-type": "application/json" };
  let counter = 0;
  const body = (): string => {
    if (spec.batch === 1) return JSON.stringify(next(counter++));
    const operations = [];
    for (let i = 0; i < spec.batch; i++) operations.push(next(counter++));
    return JSON.stringify({ operations });
  };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const timeline: number[] = [];
  let ok = 0;
  let errors = 0;
  let requests = 0;
  const startedAt = Date.now();
  const deadline = startedAt + spec.seconds * 1000;

  const one = async (): Promise<void> => {
    const t = performance.now();
    requests += 1;
    try {
      const res = await pool.request({ path, method: "POST", headers, body: body() });
      await res.body.dump();
      const key = String(res.statusCode);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        ok += 1;
        const second = Math.floor((Date.now() - startedAt) / 1000);
        timeline[second] = (timeline[second] ?? 0) + spec.batch;
      } else errors += 1;
    } catch {
      errors += 1;
      statuses.error = (statuses.error ?? 0) + 1;
    }
    latencies.push(performance.now() - t);
  };

  if (spec.rate === undefined) {
    await Promise.all(
      Array.from({ length: spec.connections }, async () => {
        while (Date.now() < deadline) await one();
      }),
    );
  } else {
    // Open loop: requests leave on schedule whether or not earlier ones answered (up to a cap).
    const interval = 1000 / spec.rate;
    const inFlight = new Set<Promise<void>>();
    let due = performance.now();
    while (Date.now() < deadline) {
      const now = performance.now();
      while (due <= now && inFlight.size < spec.connections * 4) {
        const p = one().finally(() => inFlight.delete(p));
        inFlight.add(p);
        due += interval;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(inFlight);
  }
  const endedAt = Date.now();
  await pool.close();
  return {
    requests,
    operations: requests * spec.batch,
    ok,
    errors,
    statuses,
    seconds: (endedAt - startedAt) / 1000,
    latencyMs: latencySummary(latencies),
    timeline: Array.from({ length: Math.ceil(spec.seconds) }, (_, i) => timeline[i] ?? 0),
    startedAt,
    endedAt,
  };
}

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
const result = spec.client ? await runClientLoad(spec) : await run(spec);
process.stdout.write(`${JSON.stringify(result)}\n`);
