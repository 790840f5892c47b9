import { clientTargets } from "./clientReport.ts";
import { accepted, type Comparison, type PhaseResult, type Target } from "./report.ts";

/*
 * The targets `npm run bench` checks, and their verdict table. Throughput is compared with the
 * baseline of the same run; "applied" is what was committed inside the phase (operations still
 * queued at its end are the backlog, reported beside it, never counted as applied).
 */

const find = (comparisons: readonly Comparison[], workload: string, mode: string) =>
  comparisons.find((c) => c.workload === workload && c.mode === mode);

const ratio = (a: number, b: number): number => a / Math.max(1e-9, b);

/** Every target of the run that its phases allow to check. */
export function benchTargets(
  comparisons: readonly Comparison[],
  halfRate: PhaseResult | undefined,
): Target[] {
  const targets: Target[] = [];
  const us = find(comparisons, "uniform", "single");
  const hs = find(comparisons, "hot", "single");
  const ub = find(comparisons, "uniform", "batch");
  if (us) {
    targets.push(
      {
        name: "single POSTs, uniform: accepted vs baseline",
        value: ratio(accepted(us.accounts), accepted(us.baseline)),
        threshold: 3,
        unit: "x",
        kind: "min",
      },
      {
        name: "single POSTs, uniform: applied vs baseline",
        value: ratio(us.accounts.applied.appliedPerSecond, us.baseline.applied.appliedPerSecond),
        threshold: 3,
        unit: "x",
        kind: "min",
      },
      {
        name: "single POSTs, uniform: backlog at the end of the phase",
        value: us.accounts.backlogAtEnd,
        threshold: 0,
        unit: " ops",
        kind: "max",
      },
    );
  }
  if (hs)
    targets.push({
      name: "single POSTs, hot: applied vs baseline",
      value: ratio(hs.accounts.applied.appliedPerSecond, hs.baseline.applied.appliedPerSecond),
      threshold: 10,
      unit: "x",
      kind: "min",
    });
  if (ub && us)
    targets.push({
      name: `batch, uniform: applied (inside the phase; backlog at its end ${ub.accounts.backlogAtEnd} ops) vs single-operation baseline`,
      value: ratio(ub.accounts.applied.appliedPerSecond, us.baseline.applied.appliedPerSecond),
      threshold: 10,
      unit: "x",
      kind: "min",
    });
  targets.push(...clientTargets(comparisons));
  if (halfRate)
    targets.push({
      name: "accept→applied p99 at half the max sustained rate",
      value: halfRate.applied.latencyMs.p99,
      threshold: 50,
      unit: " ms",
      kind: "max",
    });
  const phases = [...comparisons.flatMap((c) => [c.accounts, c.baseline]), ...(halfRate ? [halfRate] : [])];
  targets.push({
    name: "errors, every phase of both systems",
    value: phases.reduce((sum, p) => sum + p.load.errors, 0),
    threshold: 0,
    unit: "",
    kind: "max",
  });
  return targets;
}

export const passes = (t: Target): boolean =>
  t.kind === "min" ? t.value >= t.threshold : t.value <= t.threshold;

/** The verdict of every target, as a Markdown table. */
export function verdictTable(targets: readonly Target[]): string {
  const digits = (t: Target) => (Number.isInteger(t.value) ? 0 : 1);
  return [
    "| target | measured | required | verdict |",
    "|---|---:|---:|---|",
    ...targets.map(
      (t) =>
        `| ${t.name} | ${t.value.toLocaleString("en-US", { maximumFractionDigits: digits(t) })}${t.unit} | ${t.kind === "min" ? ">=" : "<="} ${t.threshold}${t.unit} | ${passes(t) ? "met" : "**not met**"} |`,
    ),
  ].join("\n");
}
