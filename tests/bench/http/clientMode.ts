/**
 * The `client` mode of `npm run bench`: N callers (the bench's connections, 64 by default), each
 * calling `submit` of `@accounts/client` with one operation at a time and awaiting it, as a service
 * written naively against the client would. The client batches what the callers submit together;
 * every operation carries its own idempotency key, as in production.
 *
 * Runs inside the load generator's process (loadgen.ts hands it the LoadSpec), so its CPU is the
 * load generator's, apart from the system under test.
 */
import { AccountsClient, type FetchLike } from "@accounts/client";
import { latencySummary } from "./latency.ts";
import type { LoadResult, LoadSpec } from "./loadgen.ts";
import { requestGenerator } from "./workloads.ts";

/** Closed loop: `spec.connections` callers submit one operation each, again and again, until the deadline. */
export async function runClientLoad(spec: LoadSpec): Promise<LoadResult> {
  let httpRequests = 0;
  const counting: FetchLike = (url, init) => {
    httpRequests += 1;
    return fetch(url, init);
  };
  const accounts = new AccountsClient({ baseUrl: spec.url, apiKey: spec.apiKey, fetch: counting });
  const next = requestGenerator(spec.workload);
  let counter = 0;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const timeline: number[] = [];
  let ok = 0;
  let errors = 0;
  const startedAt = Date.now();
  const deadline = startedAt + spec.seconds * 1000;

  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (Date.now() < deadline) {
        const t = performance.now();
        try {
          await accounts.submit(next(counter++));
          ok += 1;
          statuses.accepted = (statuses.accepted ?? 0) + 1;
          const second = Math.floor((Date.now() - startedAt) / 1000);
          timeline[second] = (timeline[second] ?? 0) + 1;
        } catch (error) {
          errors += 1;
          const code = (error as { code?: unknown }).code;
          const key = typeof code === "string" ? code : "error";
          statuses[key] = (statuses[key] ?? 0) + 1;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const endedAt = Date.now();
  await accounts.close();
  const submits = ok + errors;
  return {
    // One "request" here is one submit call: the table's figures are per operation, as for single POSTs.
    requests: submits,
    operations: submits,
    ok,
    errors,
    statuses,
    seconds: (endedAt - startedAt) / 1000,
    latencyMs: latencySummary(latencies),
    timeline: Array.from({ length: Math.ceil(spec.seconds) }, (_, i) => timeline[i] ?? 0),
    startedAt,
    endedAt,
    httpRequests,
  };
}
