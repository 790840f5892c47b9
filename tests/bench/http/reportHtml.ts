import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { COMPONENTS, capacityRows } from "./capacity.ts";
import { accepted, type Comparison } from "./report.ts";

/*
 * The HTML report: one self-contained page (no network). The Markdown report's tables become HTML
 * tables, and the charts are drawn by Chart.js (MIT, a devDependency of the tests workspace), whose
 * UMD bundle is read at report time and inlined in a <script>.
 */

const escapeHtml = (s: string): string =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** Inline Markdown of the report: **bold** and `code`, on escaped text. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/`([^`]+)`/g, "<code>$1</code>");
}

const cells = (line: string): string[] =>
  line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((c) => c.trim());

function table(lines: readonly string[]): string {
  const [head = "", separator = "", ...body] = lines;
  const align = cells(separator).map((c) => (c.endsWith(":") ? "right" : "left"));
  // Figures ("1,234", "5.8x", "626 / 542 = **1.2x**", "n/a") align right like numbers.
  const numeric = /^(n\/a|-?[\d*][\d.,\s/x%=*-]*)$/;
  const th = cells(head)
    .map((c) => `<th>${inline(c)}</th>`)
    .join("");
  const rows = body
    .map((line) => {
      const tds = cells(line)
        .map((c, i) => {
          const right = align[i] === "right" || numeric.test(c);
          return `<td${right ? ' class="num"' : ""}>${inline(c)}</td>`;
        })
        .join("");
      return `<tr>${tds}</tr>`;
    })
    .join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/**
 * The Markdown the benchmark writes, as HTML: headings, paragraphs, bullet lists and pipe tables
 * (the subset report.md uses; anything else is a paragraph of escaped text).
 */
export function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    if (line.trim() === "") {
      i++;
      continue;
    }
    const heading = /^(#{1,4}) (.*)$/.exec(line);
    if (heading) {
      const level = heading[1]?.length ?? 1;
      out.push(`<h${level}>${inline(heading[2] ?? "")}</h${level}>`);
      i++;
      continue;
    }
    const block: string[] = [];
    if (line.trimStart().startsWith("|")) {
      while (i < lines.length && (lines[i] ?? "").trimStart().startsWith("|")) block.push(lines[i++] ?? "");
      out.push(table(block));
      continue;
    }
    if (line.startsWith("- ")) {
      while (i < lines.length && (lines[i] ?? "").startsWith("- ")) block.push((lines[i++] ?? "").slice(2));
      out.push(`<ul>${block.map((item) => `<li>${inline(item)}</li>`).join("")}</ul>`);
      continue;
    }
    while (i < lines.length) {
      const next = lines[i] ?? "";
      if (
        next.trim() === "" ||
        /^#{1,4} /.test(next) ||
        next.trimStart().startsWith("|") ||
        next.startsWith("- ")
      )
        break;
      block.push(next);
      i++;
    }
    out.push(`<p>${inline(block.join(" "))}</p>`);
  }
  return out.join("\n");
}

/** Chart.js's UMD bundle, from the installed package (it carries its MIT banner). */
export function chartJsSource(): string {
  const require = createRequire(import.meta.url);
  const source = readFileSync(join(dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8");
  // Nothing in it may close the <script> element it is inlined in.
  return source.replaceAll("</script", "<\\/script");
}

/** Display names and colours of the processes the bench measures; others keep their own name. */
const PROCESSES: Record<string, { label: string; color: string }> = {
  api: { label: "API", color: "#1f77b4" },
  worker: { label: "worker", color: "#2ca02c" },
  postgres: { label: "PostgreSQL", color: "#9467bd" },
  redis: { label: "Redis", color: "#d62728" },
  loadgen: { label: "load generator", color: "#7f7f7f" },
  baseline: { label: "baseline", color: "#ff7f0e" },
};
const OTHER_COLORS = ["#8c564b", "#e377c2", "#bcbd22", "#17becf"];

/** worker-1..worker-N are one component. */
const processGroup = (name: string): string => (name.startsWith("worker-") ? "worker" : name);

interface BarChart {
  kind: "bar";
  title: string;
  unit: string;
  stacked: boolean;
  labels: string[];
  series: { name: string; color: string; values: number[] }[];
}
interface LineChart {
  kind: "line";
  title: string;
  unit: string;
  labels: string[];
  series: { name: string; color: string; values: number[] }[];
}
type Chart = BarChart | LineChart;

/** CPU per process, one stacked bar per phase (both systems). */
export function cpuChart(comparisons: readonly Comparison[]): BarChart {
  const phases = comparisons.flatMap((c) =>
    (c.mode === "client" ? [c.accounts] : [c.accounts, c.baseline]).map((p) => ({
      label: `${c.workload} ${c.mode} ${p.system}`,
      cpu: p.cpu,
    })),
  );
  const groups: string[] = [];
  for (const name of Object.keys(PROCESSES)) groups.push(name);
  for (const p of phases)
    for (const name of Object.keys(p.cpu))
      if (!groups.includes(processGroup(name))) groups.push(processGroup(name));
  let other = 0;
  const series = groups.map((group) => ({
    name: PROCESSES[group]?.label ?? group,
    color: PROCESSES[group]?.color ?? OTHER_COLORS[other++ % OTHER_COLORS.length] ?? "#000",
    values: phases.map((p) =>
      Object.entries(p.cpu)
        .filter(([name]) => processGroup(name) === group)
        .reduce((sum, [, v]) => sum + v, 0),
    ),
  }));
  return {
    kind: "bar",
    title: "CPU per process, per phase",
    unit: "cores",
    stacked: true,
    labels: phases.map((p) => p.label),
    series: series.filter((s) => s.values.some((v) => v > 0)),
  };
}

/** Cores per 10,000 operations/s of the system under test, one stacked bar per phase. */
export function capacityChart(comparisons: readonly Comparison[]): BarChart {
  const rows = capacityRows(comparisons);
  return {
    kind: "bar",
    title: "Cores per 10,000 operations/s (system under test)",
    unit: "cores per 10k ops/s",
    stacked: true,
    labels: rows.map((r) => `${r.workload} ${r.mode}`),
    series: COMPONENTS.map((c) => ({
      name: PROCESSES[c]?.label ?? c,
      color: PROCESSES[c]?.color ?? "#000",
      values: rows.map((r) => r.coresPer10k[c]),
    })),
  };
}

function comparisonCharts(c: Comparison): Chart[] {
  const n = Math.max(
    c.accounts.load.timeline.length,
    c.accounts.applied.timeline.length,
    c.baseline.load.timeline.length,
  );
  const pick = (p: { p50: number; p95: number; p99: number }) => [p.p50, p.p95, p.p99];
  return [
    {
      kind: "line",
      title: `${c.workload}, ${c.mode}: throughput over time (accepted ${Math.round(accepted(c.accounts))} ops/s)`,
      unit: "ops/s",
      labels: Array.from({ length: n }, (_, i) => `${i + 1}`),
      series: [
        { name: "accounts accepted", color: "#1f77b4", values: c.accounts.load.timeline },
        { name: "accounts applied", color: "#2ca02c", values: c.accounts.applied.timeline },
        { name: "baseline applied", color: "#d62728", values: c.baseline.load.timeline },
      ],
    },
    {
      kind: "bar",
      title: `${c.workload}, ${c.mode}: latency percentiles`,
      unit: "ms",
      stacked: false,
      labels: ["p50", "p95", "p99"],
      series: [
        { name: "accounts accept", color: "#1f77b4", values: pick(c.accounts.load.latencyMs) },
        { name: "accounts accept→applied", color: "#2ca02c", values: pick(c.accounts.applied.latencyMs) },
        { name: "baseline (synchronous)", color: "#d62728", values: pick(c.baseline.load.latencyMs) },
      ],
    },
  ];
}

/** Every chart of the page, in order: CPU, capacity, then two per comparison. */
export function reportCharts(comparisons: readonly Comparison[]): Chart[] {
  return [cpuChart(comparisons), capacityChart(comparisons), ...comparisons.flatMap(comparisonCharts)];
}

/** Draws the charts from the JSON data island; runs in the page. */
const DRAW = `
for (const [i, c] of JSON.parse(document.getElementById("chart-data").textContent).entries()) {
  const canvas = document.getElementById("chart-" + i);
  new Chart(canvas, {
    type: c.kind,
    data: {
      labels: c.labels,
      datasets: c.series.map((s) => ({
        label: s.name, data: s.values, backgroundColor: s.color, borderColor: s.color,
        borderWidth: c.kind === "line" ? 2 : 0, pointRadius: 0, tension: 0.1,
      })),
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { title: { display: true, text: c.title }, legend: { position: "bottom" } },
      scales: {
        x: { stacked: !!c.stacked, title: { display: c.kind === "line", text: "second of the phase" } },
        y: { stacked: !!c.stacked, beginAtZero: true, title: { display: true, text: c.unit } },
      },
    },
  });
}`;

/**
 * The page: the report's Markdown as HTML (tables as <table>), then the charts. `markdown` is the
 * whole report.md, so sections other parts of the bench add to it appear here too.
 */
export function htmlReport(title: string, markdown: string, comparisons: readonly Comparison[]): string {
  const charts = reportCharts(comparisons);
  const canvases = charts
    .map((c, i) => {
      const wide = c.kind === "bar" && c.stacked;
      return `<div class="chart${wide ? " wide" : ""}"><canvas id="chart-${i}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div>`;
    })
    .join("\n");
  // A JSON data island: "<" escaped so that no value can close the element.
  const data = JSON.stringify(charts).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;vertical-align:top}
th{background:#f0f0f0;text-align:left} td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafafa}
code{background:#f3f3f3;padding:0 3px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{position:relative;width:640px;height:280px}
.chart.wide{width:1300px;height:380px}
</style></head>
<body>
${markdownToHtml(markdown)}
<h2>Charts</h2>
<div class="charts">
${canvases}
</div>
<script>${chartJsSource()}</script>
<script type="application/json" id="chart-data">${data}</script>
<script>${DRAW}</script>
</body></html>
`;
}
