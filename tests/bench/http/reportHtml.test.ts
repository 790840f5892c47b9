import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { capacityRows, capacitySection, deployment } from "./capacity.ts";
import type { LoadResult } from "./loadgen.ts";
import type { Comparison, PhaseResult } from "./report.ts";
import { cpuChart, htmlReport, markdownToHtml } from "./reportHtml.ts";
import { renderSavedReport, replaceCapacitySection } from "./reportOnly.ts";

function load(requests: number, operations: number, seconds: number): LoadResult {
  return {
    requests,
    operations,
    ok: requests,
    errors: 0,
    statuses: { "202": requests },
    seconds,
    latencyMs: { p50: 10, p95: 20, p99: 30, max: 40 },
    timeline: [operations / seconds, operations / seconds],
    startedAt: 0,
    endedAt: seconds * 1000,
  };
}

function phase(
  mode: PhaseResult["mode"],
  system: PhaseResult["system"],
  opsPerSecond: number,
  cpu: Record<string, number>,
): PhaseResult {
  const perRequest = mode === "batch" ? 100 : 1;
  const l = load((opsPerSecond * 2) / perRequest, opsPerSecond * 2, 2);
  return {
    workload: "uniform",
    mode,
    system,
    load: l,
    applied: {
      finished: l.operations,
      appliedPerSecond: opsPerSecond,
      latencyMs: { p50: 5, p95: 8, p99: 12 },
      timeline: l.timeline,
    },
    backlogAtEnd: 0,
    cpu,
  };
}

/** Two phases: 5,000 single POSTs/s and 20,000 operations/s in batches, with round CPU figures. */
const comparisons: Comparison[] = [
  {
    workload: "uniform",
    mode: "single",
    accounts: phase("single", "accounts", 5_000, {
      loadgen: 0.2,
      api: 0.8,
      "worker-1": 0.3,
      "worker-2": 0.2,
      postgres: 0.4,
      redis: 0.1,
      baseline: 0,
    }),
    baseline: phase("single", "baseline", 2_000, { loadgen: 0.2, baseline: 0.5, postgres: 0.6 }),
  },
  {
    workload: "uniform",
    mode: "batch",
    accounts: phase("batch", "accounts", 20_000, { api: 0.4, "worker-1": 0.6, postgres: 0.8, redis: 0.2 }),
    baseline: phase("batch", "baseline", 2_500, { baseline: 0.4, postgres: 0.9 }),
  },
];

describe("capacity from measurements", () => {
  it("divides each component's cores by its rate, per 10,000 operations/s", () => {
    const [single, batch] = capacityRows(comparisons);
    expect(single?.coresPer10k).toEqual({ api: 1.6, worker: 1, postgres: 0.8, redis: 0.2 });
    expect(single?.opsPerRequest).toBe(1);
    expect(batch?.coresPer10k.api).toBeCloseTo(0.2, 10);
    expect(batch?.coresPer10k.postgres).toBeCloseTo(0.4, 10);
    expect(batch?.opsPerRequest).toBe(100);
  });

  it("leaves out phases that are not a mode served at scale", () => {
    const first = comparisons[0];
    if (!first) throw new Error("no fixture");
    const other = { ...first, mode: "sequential" };
    expect(capacityRows([...comparisons, other]).map((r) => r.mode)).toEqual(["single", "batch"]);
  });

  it("sizes one-core processes at 70 % of a core", () => {
    const [single] = capacityRows(comparisons);
    if (!single) throw new Error("no row");
    // 85,000 ops/s: API 13.6 cores -> 20 replicas, worker 8.5 -> 13, Redis 1.7 -> 3, PostgreSQL 6.8 -> 10.
    const d = deployment(single, 85_000, "peak today");
    expect(d.cores.api).toBeCloseTo(13.6, 10);
    expect([d.apiReplicas, d.workerProcesses, d.redisMasters, d.postgresCores]).toEqual([20, 13, 3, 10]);
  });

  it("replaces the capacity sections of a saved report and keeps the rest", () => {
    const md =
      "# t\n\n## Targets\n\n- PASS a\n\n## Capacity: old\n\nold\n\n## Capacity: old too\n\nx\n\n## After\n\nkept\n";
    const out = replaceCapacitySection(md, "## Capacity: new\n\nnew");
    expect(out).toBe("# t\n\n## Targets\n\n- PASS a\n\n## Capacity: new\n\nnew\n\n## After\n\nkept\n");
    expect(replaceCapacitySection("# t\n", "## Capacity: new")).toBe("# t\n\n## Capacity: new\n");
  });
});

describe("the HTML report", () => {
  it("turns the report's Markdown tables into HTML tables", () => {
    const html = markdownToHtml("## CPU\n\n| a | b |\n|---|---:|\n| x | 1.5 |\n\n- **PASS** one\n");
    expect(html).toContain("<h2>CPU</h2>");
    expect(html).toContain("<table><thead><tr><th>a</th><th>b</th></tr></thead>");
    expect(html).toContain('<td>x</td><td class="num">1.5</td>');
    expect(html).toContain("<li><strong>PASS</strong> one</li>");
    expect(html).not.toContain("|---");
  });

  it("is one self-contained page: the tables, the inlined Chart.js and a chart per figure", () => {
    const markdown = `# Report <1>\n\n| workload | mode |\n|---|---|\n| uniform | single |\n\n${capacitySection(comparisons)}\n`;
    const html = htmlReport("Report <1>", markdown, comparisons);
    expect(html).not.toContain("<pre>");
    expect(html).toContain("<title>Report &lt;1&gt;</title>");
    expect(html.match(/<table>/g)?.length).toBe(3);
    expect(html).toContain("<th>PostgreSQL ops/s per core</th>");
    expect(html).toMatch(/Chart\.js v4\.\d+\.\d+/);
    expect(html).toContain("Released under the MIT License");
    // No network: no external script, stylesheet or image.
    expect(html).not.toMatch(/<(script|img|link)[^>]+(src|href)=/);
    // CPU, capacity, and throughput + latency for each of the two comparisons.
    for (let i = 0; i < 6; i++) expect(html).toContain(`<canvas id="chart-${i}"`);
    expect(html).not.toContain('id="chart-6"');
  });

  it("stacks the CPU of each phase by process, the workers as one", () => {
    const chart = cpuChart(comparisons);
    expect(chart.labels).toEqual([
      "uniform single accounts",
      "uniform single baseline",
      "uniform batch accounts",
      "uniform batch baseline",
    ]);
    expect(chart.stacked).toBe(true);
    const worker = chart.series.find((s) => s.name === "worker");
    expect(worker?.values[0]).toBeCloseTo(0.5, 10);
    expect(chart.series.map((s) => s.name)).toEqual([
      "API",
      "worker",
      "PostgreSQL",
      "Redis",
      "load generator",
      "baseline",
    ]);
  });
});

describe("--report-only", () => {
  it("renders a saved run again: capacity derived anew, the rest of report.md kept", () => {
    const folder = mkdtempSync(join(tmpdir(), "bench-report-"));
    try {
      writeFileSync(join(folder, "result.json"), JSON.stringify({ comparisons }));
      writeFileSync(join(folder, "report.md"), "# Saved run\n\nkept line\n\n## Capacity: stale\n\nstale\n");
      expect(renderSavedReport(folder)).toBe(join(folder, "report.html"));
      const markdown = readFileSync(join(folder, "report.md"), "utf8");
      expect(markdown).toContain("kept line");
      expect(markdown).not.toContain("stale");
      expect(markdown).toContain(
        "| uniform | single | 1.0 | 5,000 | 5,000 | 1.60 | 1.00 | 0.80 | 0.20 | 3.60 | 12,500 |",
      );
      const html = readFileSync(join(folder, "report.html"), "utf8");
      expect(html).toContain("<title>Saved run</title>");
      expect(html).toContain("<td>uniform</td><td>single</td>");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
