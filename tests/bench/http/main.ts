/**
 * `npm run bench`: throughput and latency of the accounts processor over HTTP, side by side in one
 * run with a naive synchronous baseline (tests/bench/baseline), same machine, same load generator,
 * same workloads (uniform, zipf, hot, settle), with single-operation POSTs and batches of 100, and
 * the `client` mode (clientMode.ts): 64 callers submitting one operation at a time through @accounts/client.
 *
 * Options: --quick (short phases), --seconds N, --workloads a,b, --connections N, --workers N,
 * --partitions N (default: one per core; PARTITIONS in the environment also sets it), --json,
 * --report-only <folder> (render a saved run's report again, reportOnly.ts).
 * --sequential [--requests N]: only the latency of one acknowledgement (sequential.ts).
 * --replica (a local Redis replica of the benchmark's Redis; with ACCEPT_MIN_REPLICAS=1 in the
 * environment the API waits for it before each 202).
 * --sync-standby (a streaming standby named in synchronous_standby_names: the cost of replication).
 * Writes results/bench/<time>/{report.md,report.html,result.json}.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus as cpus_, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { capacitySection } from "./capacity.ts";
import { clientLines } from "./clientReport.ts";
import { type HttpCost, httpCostLines, measureHttpCost } from "./httpCost.ts";
import type { LoadResult, LoadSpec } from "./loadgen.ts";
import { appliedStats, drain, treeCpuSeconds } from "./measure.ts";
import { type PipelineRow, pipelineDelta, pipelineTable, readPipeline } from "./pipeline.ts";
import { accepted, type Comparison, cpuTable, markdownTable, type PhaseResult } from "./report.ts";
import { htmlReport } from "./reportHtml.ts";
import { renderSavedReport } from "./reportOnly.ts";
import { runSequential, sequentialMarkdown } from "./sequential.ts";
import { type BenchStack, startBenchStack } from "./stack.ts";
import { benchTargets, verdictTable } from "./targets.ts";
import { WORKLOADS, type WorkloadName } from "./workloads.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean" },
    seconds: { type: "string" },
    workloads: { type: "string" },
    connections: { type: "string" },
    workers: { type: "string" },
    "sync-standby": { type: "boolean" },
    partitions: { type: "string" },
    json: { type: "boolean" },
    "report-only": { type: "string" },
    sequential: { type: "boolean" },
    requests: { type: "string" },
    replica: { type: "boolean" },
  },
});
const seconds = Number(args.seconds ?? (args.quick ? 5 : 20));
const workloads = (args.workloads?.split(",") ?? WORKLOADS) as WorkloadName[];
const connections = Number(args.connections ?? 64);
// One partition per core: the worker is one process, and partitions beyond the cores it can use only
// make jobs smaller (more transactions, each with its fixed cost) without adding parallelism. Measured
// on 2 cores (docs/performance.md): 16 partitions (the apps' default) 2,389 single POSTs/s, 2: 3,846.
const partitions = args.partitions ?? process.env.PARTITIONS ?? String(cpus_().length);

function progress(line: string): void {
  if (!args.json) process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function runLoad(spec: LoadSpec): Promise<{ result: LoadResult; pid: number; cpu: number }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      process.execPath,
      // The source condition: the client mode loads @accounts/client from its sources.
      [
        "--conditions=@accounts/source",
        "--import",
        "tsx",
        "tests/bench/http/loadgen.ts",
        JSON.stringify(spec),
      ],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    let cpu = 0;
    const sampler = setInterval(() => {
      cpu = Math.max(cpu, treeCpuSeconds(child.pid ?? -1));
    }, 500);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("exit", (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      resolveRun({ result: JSON.parse(out) as LoadResult, pid: child.pid ?? -1, cpu });
    });
  });
}

function cpuSnapshot(stack: BenchStack): Record<string, number> {
  const snap: Record<string, number> = {};
  for (const p of stack.processes) snap[p.name] = treeCpuSeconds(p.pid);
  if (stack.postgresPid) snap.postgres = treeCpuSeconds(stack.postgresPid);
  if (stack.redisPid) snap.redis = treeCpuSeconds(stack.redisPid);
  return snap;
}

/** How each phase of the system under test moved through the queue (pipeline.ts). */
const pipelineRows: PipelineRow[] = [];

async function phase(
  stack: BenchStack,
  workload: WorkloadName,
  mode: "single" | "batch" | "client",
  system: "accounts" | "baseline",
  options: { rate?: number; seconds: number },
): Promise<PhaseResult> {
  const batch = mode === "batch" ? 100 : 1;
  progress(
    `${system} ${workload} ${mode}${options.rate ? ` at ${Math.round(options.rate * batch)} ops/s` : ""}: ${options.seconds} s`,
  );
  const before = cpuSnapshot(stack);
  const pipelineBefore =
    system === "accounts" ? await readPipeline(stack.apiUrl, stack.workerUrls, stack.sutPool) : undefined;
  const { result, cpu: loadCpu } = await runLoad({
    url: system === "accounts" ? stack.apiUrl : stack.baselineUrl,
    apiKey: stack.apiKey,
    workload,
    batch,
    seconds: options.seconds,
    connections: mode === "batch" ? Math.max(2, Math.floor(connections / 8)) : connections,
    ...(options.rate ? { rate: options.rate } : {}),
    ...(mode === "client" ? { client: true } : {}),
  });
  const after = cpuSnapshot(stack);
  const elapsed = result.seconds;
  if (result.httpRequests) progress(`  ${result.ok} submits in ${result.httpRequests} HTTP requests`);
  const cpu: Record<string, number> = { loadgen: loadCpu / elapsed };
  for (const [name, value] of Object.entries(after)) cpu[name] = (value - (before[name] ?? 0)) / elapsed;
  if (system === "baseline") {
    const ops = result.ok * batch;
    return {
      workload,
      mode,
      system,
      load: result,
      applied: {
        finished: ops,
        appliedPerSecond: ops / elapsed,
        latencyMs: { p50: result.latencyMs.p50, p95: result.latencyMs.p95, p99: result.latencyMs.p99 },
        timeline: result.timeline,
      },
      backlogAtEnd: 0,
      cpu,
    };
  }
  const acceptedOps = result.ok * batch;
  const atEnd = await appliedStats(stack.sutPool, result.startedAt, result.endedAt);
  progress(`  draining: ${acceptedOps - atEnd.finished} operations queued at the end`);
  await drain(stack.sutPool, result.startedAt, acceptedOps);
  const applied = await appliedStats(stack.sutPool, result.startedAt, result.endedAt);
  if (pipelineBefore)
    pipelineRows.push({
      workload: options.rate ? `${workload} (half rate)` : workload,
      mode,
      seconds: elapsed,
      counters: pipelineDelta(
        pipelineBefore,
        await readPipeline(stack.apiUrl, stack.workerUrls, stack.sutPool),
      ),
    });
  return {
    workload,
    mode,
    system,
    load: result,
    applied: { ...applied, appliedPerSecond: atEnd.appliedPerSecond },
    backlogAtEnd: acceptedOps - atEnd.finished,
    cpu,
  };
}

async function main(): Promise<void> {
  const stack = await startBenchStack({
    workers: Number(args.workers ?? 1),
    replica: args.replica ?? false,
    log: progress,
    env: { ...process.env, PARTITIONS: partitions },
    syncStandby: args["sync-standby"] === true,
  });
  if (args.sequential) {
    const requests = Number(args.requests ?? 300);
    progress(`sequential: one caller, ${requests} awaited POSTs per fsync policy`);
    try {
      const results = await runSequential(stack, requests);
      const markdown = `# One acknowledgement, one sequential caller — ${new Date().toISOString()}\n\n${sequentialMarkdown(results)}\n`;
      const folder = join(
        ROOT,
        "results",
        "bench",
        `${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}-sequential`,
      );
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, "report.md"), markdown);
      writeFileSync(join(folder, "result.json"), JSON.stringify({ sequential: results }, null, 2));
      console.log(args.json ? JSON.stringify({ sequential: results }) : markdown);
    } finally {
      await stack.stop();
    }
    return;
  }
  const comparisons: Comparison[] = [];
  let halfRate: PhaseResult | undefined;
  let httpCost: HttpCost | undefined;
  try {
    for (const workload of workloads) {
      for (const mode of ["single", "batch"] as const) {
        const accounts = await phase(stack, workload, mode, "accounts", { seconds });
        const baseline = await phase(stack, workload, mode, "baseline", { seconds });
        comparisons.push({ workload, mode, accounts, baseline });
      }
      // The client mode has no baseline of its own: its row compares with the single-operation one.
      const single = comparisons.find((c) => c.workload === workload && c.mode === "single");
      const client = await phase(stack, workload, "client", "accounts", { seconds });
      if (single) comparisons.push({ workload, mode: "client", accounts: client, baseline: single.baseline });
    }
    const uniform = comparisons.find((c) => c.workload === "uniform" && c.mode === "single");
    if (uniform) {
      progress(`plain node:http reference, uniform single: ${seconds} s`);
      const spec = { apiKey: stack.apiKey, workload: "uniform" as const, batch: 1, seconds, connections };
      httpCost = await measureHttpCost(uniform.accounts, spec, runLoad, process.env);
      const max = Math.min(accepted(uniform.accounts), uniform.accounts.applied.appliedPerSecond);
      halfRate = await phase(stack, "uniform", "single", "accounts", { rate: max / 2, seconds });
    }
  } finally {
    await stack.stop();
  }
  report(comparisons, halfRate, httpCost);
}

function report(
  comparisons: Comparison[],
  halfRate: PhaseResult | undefined,
  httpCost: HttpCost | undefined,
): void {
  const targets = benchTargets(comparisons, halfRate);
  if (httpCost)
    targets.push({
      name: "API CPU per single POST vs plain node:http",
      value: httpCost.ratio,
      threshold: 2.5,
      unit: "x",
      kind: "max",
    });
  const title = `Accounts processor vs naive baseline — ${new Date().toISOString()}`;
  const cpus = cpus_();
  const machine = `machine: ${cpus.length} x ${cpus[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; everything local (PostgreSQL, Redis, API, worker, baseline, load generator); PARTITIONS=${partitions}; ${seconds} s per phase, ${connections} connections (batch: ${Math.max(2, Math.floor(connections / 8))})`;
  const half = halfRate
    ? `\n\nHalf-rate phase (uniform, single, open loop at ${Math.round(halfRate.load.operations / halfRate.load.seconds)} ops/s): accept p99 ${halfRate.load.latencyMs.p99.toFixed(1)} ms, accept→applied p50/p95/p99 ${halfRate.applied.latencyMs.p50.toFixed(1)}/${halfRate.applied.latencyMs.p95.toFixed(1)}/${halfRate.applied.latencyMs.p99.toFixed(1)} ms, errors ${halfRate.load.errors}.`
    : "";
  const markdown = `# ${title}\n\n${machine}\n\nEvery figure: accounts processor / baseline.\n\n${markdownTable(comparisons)}${half}\n\n${clientLines(comparisons)}\n\n${httpCost ? `## HTTP cost per single POST (uniform)\n\n${httpCostLines(httpCost)}\n\n` : ""}## Targets\n\n${verdictTable(targets)}\n\n## CPU per process (cores)\n\n${cpuTable(comparisons)}\n\n## Queue jobs and worker transactions (the phase and its drain)\n\n${pipelineTable(pipelineRows)}\n\n${capacitySection(comparisons)}\n`;
  const folder = join(ROOT, "results", "bench", new Date().toISOString().replaceAll(":", "-").slice(0, 19));
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "report.md"), markdown);
  writeFileSync(join(folder, "report.html"), htmlReport(title, markdown, comparisons));
  writeFileSync(
    join(folder, "result.json"),
    JSON.stringify({ comparisons, halfRate, httpCost, targets, pipeline: pipelineRows }, null, 2),
  );
  if (args.json)
    console.log(JSON.stringify({ comparisons, halfRate, httpCost, targets, pipeline: pipelineRows }));
  else console.log(`${markdown}\nreport: ${join(folder, "report.html")}`);
}

if (args["report-only"]) console.log(`report: ${renderSavedReport(resolve(args["report-only"]))}`);
else await main();
