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

function lineChart(title: string, series: { name: string; color: string; values: number[] }[]): string {
  const width = 560;
  const height = 180;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const x = (i: number) => 40 + (i * (width - 50)) / (n - 1);
  const y = (v: number) => height - 20 - (v / max) * (height - 40);
  const paths = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ")}"/>`,
    )
    .join("");
  const legend = series
    .map((s, i) => `<text x="${50 + i * 170}" y="14" fill="${s.color}" font-size="11">${s.name}</text>`)
    .join("");
  return `<figure><figcaption>${title} (ops/s, max ${fmt(max)})</figcaption><svg width="${width}" height="${height}" role="img">
    <line x1="40" y1="${height - 20}" x2="${width - 10}" y2="${height - 20}" stroke="#999"/>${legend}${paths}</svg></figure>`;
}

function barChart(title: string, groups: { name: string; values: [string, number][] }[]): string {
  const max = Math.max(1, ...groups.flatMap((g) => g.values.map(([, v]) => v)));
  const rows = groups
    .map(
      (g) =>
        `<div class="g"><b>${g.name}</b>${g.values
          .map(
            ([label, v]) =>
              `<div class="bar"><span>${label}</span><i style="width:${(v / max) * 380}px"></i>${fmt(v, 1)} ms</div>`,
          )
          .join("")}</div>`,
    )
    .join("");
  return `<figure><figcaption>${title}</figcaption>${rows}</figure>`;
}

/** A self-contained HTML page (inline SVG, no scripts): throughput over time and latency percentiles. */
export function htmlReport(title: string, markdown: string, comparisons: readonly Comparison[]): string {
  const sections = comparisons
    .map((c) => {
      const throughput = lineChart(`${c.workload}, ${c.mode}: throughput over time`, [
        { name: "accounts accepted", color: "#1f77b4", values: c.accounts.load.timeline },
        { name: "accounts applied", color: "#2ca02c", values: c.accounts.applied.timeline },
        { name: "baseline applied", color: "#d62728", values: c.baseline.load.timeline },
      ]);
      const latency = barChart(`${c.workload}, ${c.mode}: latency percentiles`, [
        {
          name: "accounts accept",
          values: [
            ["p50", c.accounts.load.latencyMs.p50],
            ["p95", c.accounts.load.latencyMs.p95],
            ["p99", c.accounts.load.latencyMs.p99],
          ],
        },
        {
          name: "accounts accept→applied",
          values: [
            ["p50", c.accounts.applied.latencyMs.p50],
            ["p95", c.accounts.applied.latencyMs.p95],
            ["p99", c.accounts.applied.latencyMs.p99],
          ],
        },
        {
          name: "baseline (synchronous)",
          values: [
            ["p50", c.baseline.load.latencyMs.p50],
            ["p95", c.baseline.load.latencyMs.p95],
            ["p99", c.baseline.load.latencyMs.p99],
          ],
        },
      ]);
      return `<section><h2>${c.workload} — ${c.mode}</h2>${throughput}${latency}</section>`;
    })
    .join("");
  const escaped = markdown.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>
    body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px} pre{background:#f6f6f6;padding:1em;overflow:auto}
    .bar{display:flex;align-items:center;gap:6px;font-size:12px} .bar span{width:30px} .bar i{display:inline-block;height:10px;background:#1f77b4}
    .g{margin:6px 0} figure{margin:1em 0} figcaption{font-weight:600}</style></head>
    <body><h1>${title}</h1><pre>${escaped}</pre>${sections}</body></html>`;
}
