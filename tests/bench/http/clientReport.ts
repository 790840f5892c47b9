import type { Comparison, Target } from "./report.ts";

/*
 * What the `client` mode adds to the report (the mode itself is clientMode.ts, run in the load
 * generator): its targets, measured against the batch endpoint and the single-operation baseline of
 * the same run, and how the client batched.
 */

const find = (comparisons: readonly Comparison[], workload: string, mode: string) =>
  comparisons.find((c) => c.workload === workload && c.mode === mode);

/** The client mode's targets on the uniform workload (issue 15). */
export function clientTargets(comparisons: readonly Comparison[]): Target[] {
  const client = find(comparisons, "uniform", "client");
  const batch = find(comparisons, "uniform", "batch");
  const single = find(comparisons, "uniform", "single");
  const targets: Target[] = [];
  if (client && batch)
    targets.push({
      name: "client (64 callers, one submit each at a time), uniform: applied vs the batch endpoint",
      value:
        (100 * client.accounts.applied.appliedPerSecond) /
        Math.max(1, batch.accounts.applied.appliedPerSecond),
      threshold: 80,
      unit: " %",
      kind: "min",
    });
  if (client && single)
    targets.push({
      name: "client, uniform: applied vs single-operation baseline",
      value: client.accounts.applied.appliedPerSecond / Math.max(1, single.baseline.applied.appliedPerSecond),
      threshold: 8,
      unit: "x",
      kind: "min",
    });
  return targets;
}

/** One line per client phase: latency from accept to applied, and how many operations each request carried. */
export function clientLines(comparisons: readonly Comparison[]): string {
  return comparisons
    .filter((c) => c.mode === "client")
    .map((c) => {
      const p = c.accounts;
      const perRequest = p.load.httpRequests ? p.load.ok / p.load.httpRequests : 0;
      return (
        `Client mode, ${c.workload}: accept→applied p50/p95/p99 ${p.applied.latencyMs.p50.toFixed(1)}/` +
        `${p.applied.latencyMs.p95.toFixed(1)}/${p.applied.latencyMs.p99.toFixed(1)} ms; submit p99 ` +
        `${p.load.latencyMs.p99.toFixed(1)} ms; ${p.load.httpRequests ?? 0} HTTP requests, ` +
        `${perRequest.toFixed(1)} operations per request; errors ${p.load.errors}` +
        ` (baseline column: the single-operation baseline).`
      );
    })
    .join("\n\n");
}
