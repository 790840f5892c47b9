import type { LoadResult } from "./loadgen.ts";
import type { AppliedStats } from "./measure.ts";

export interface PhaseResult {
  workload: string;
  mode: "single" | "batch" | "client";
  system: "accounts" | "baseline";
  load: LoadResult;
  /** The system under test's applied view (from stored timestamps); the baseline applies synchronously. */
  applied: AppliedStats;
  /** Operations accepted in the phase but not applied when it ended. */
  backlogAtEnd: number;
  /** CPU used per process during the phase, in cores (CPU seconds per second). */
  cpu: Record<string, number>;
}

export interface Comparison {
  workload: string;
  mode: string;
  accounts: PhaseResult;
  baseline: PhaseResult;
}

export interface Target {
  name: string;
  value: number;
  threshold: number;
  unit: string;
  /** "min": value must be at least threshold; "max": at most. */
  kind: "min" | "max";
}

export const accepted = (p: PhaseResult): number =>
  (p.load.ok * (p.load.operations / Math.max(1, p.load.requests))) / p.load.seconds;

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(1)}x` : "n/a");

/** The comparison table: every figure as this system / baseline. */
export function markdownTable(comparisons: readonly Comparison[]): string {
  const lines = [
    "| workload | mode | accepted ops/s | applied ops/s | accept p50/p95/p99 ms | accept→applied p50/p95/p99 ms | errors | backlog at end |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const c of comparisons) {
    const a = c.accounts;
    const b = c.baseline;
    const l = (p: PhaseResult) =>
      `${fmt(p.load.latencyMs.p50, 1)}/${fmt(p.load.latencyMs.p95, 1)}/${fmt(p.load.latencyMs.p99, 1)}`;
    const t = (p: PhaseResult) =>
      `${fmt(p.applied.latencyMs.p50, 1)}/${fmt(p.applied.latencyMs.p95, 1)}/${fmt(p.applied.latencyMs.p99, 1)}`;
    lines.push(
      `| ${c.workload} | ${c.mode} | ${fmt(accepted(a))} / ${fmt(accepted(b))} = **${ratio(accepted(a), accepted(b))}** | ` +
        `${fmt(a.applied.appliedPerSecond)} / ${fmt(b.applied.appliedPerSecond)} = **${ratio(a.applied.appliedPerSecond, b.applied.appliedPerSecond)}** | ` +
        `${l(a)} / ${l(b)} | ${t(a)} / ${t(b)} | ${a.load.errors} / ${b.load.errors} | ${fmt(a.backlogAtEnd)} |`,
    );
  }
  return lines.join("\n");
}

export function cpuTable(comparisons: readonly Comparison[]): string {
  const names = new Set<string>();
  for (const c of comparisons)
    for (const p of [c.accounts, c.baseline]) for (const n of Object.keys(p.cpu)) names.add(n);
  const cols = [...names];
  const lines = [
    `| workload | mode | system | ${cols.join(" | ")} |`,
    `|---|---|---|${cols.map(() => "---:").join("|")}|`,
  ];
  for (const c of comparisons) {
    // A client row's baseline is the single-operation phase's, already listed.
    for (const p of c.mode === "client" ? [c.accounts] : [c.accounts, c.baseline]) {
      lines.push(
        `| ${c.workload} | ${c.mode} | ${p.system} | ${cols.map((n) => fmt(p.cpu[n] ?? 0, 2)).join(" | ")} |`,
      );
    }
  }
  return lines.join("\n");
}

export function targetLines(targets: readonly Target[]): string {
  return targets
    .map((t) => {
      const pass = t.kind === "min" ? t.value >= t.threshold : t.value <= t.threshold;
      return `- ${pass ? "PASS" : "FAIL"} ${t.name}: ${fmt(t.value, 1)}${t.unit} (${t.kind === "min" ? "at least" : "at most"} ${t.threshold}${t.unit})`;
    })
    .join("\n");
}
