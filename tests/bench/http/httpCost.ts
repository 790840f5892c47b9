import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "@accounts/tests/harness";
import type { LoadResult, LoadSpec } from "./loadgen.ts";
import { treeCpuSeconds } from "./measure.ts";
import type { PhaseResult } from "./report.ts";

/** The API's CPU per single POST beside a plain node:http server's, from the same benchmark run. */
export interface HttpCost {
  /** API CPU µs per answered single POST (uniform workload, closed loop). */
  apiUsPerPost: number;
  /** plainNodeServer.ts CPU µs per answered POST, same load generator, same bodies. */
  plainUsPerPost: number;
  ratio: number;
  /** Requests per second each answered in its phase. */
  apiPerSecond: number;
  plainPerSecond: number;
}

type RunLoad = (spec: LoadSpec) => Promise<{ result: LoadResult }>;

/**
 * Runs a phase against plainNodeServer.ts (started here, stopped after) with the load `spec` of the
 * API's uniform single-POST phase, and sets both CPU figures side by side. CPU is the server's
 * process CPU (user + system, /proc) over the phase divided by the 2xx answers, as for the API.
 */
export async function measureHttpCost(
  apiPhase: PhaseResult,
  spec: Omit<LoadSpec, "url">,
  runLoad: RunLoad,
  env: NodeJS.ProcessEnv,
): Promise<HttpCost> {
  const profile = env.BENCH_CPU_PROF
    ? ["--cpu-prof", `--cpu-prof-dir=${join(env.BENCH_CPU_PROF, "plain-node-http")}`]
    : [];
  // tsx only loads the file: the measured phase starts after the server listens.
  const child = spawn(
    process.execPath,
    [...profile, "--import", "tsx", "tests/bench/http/plainNodeServer.ts"],
    { cwd: REPO_ROOT, env: { ...env, PORT: "0" }, stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once("exit", (code) => reject(new Error(`plainNodeServer exited ${code}`)));
    });
    const pid = child.pid ?? -1;
    const before = treeCpuSeconds(pid);
    const { result } = await runLoad({ ...spec, url: `http://127.0.0.1:${port}` });
    const plainCpu = treeCpuSeconds(pid) - before;
    const apiCpu = (apiPhase.cpu.api ?? 0) * apiPhase.load.seconds;
    const apiUsPerPost = (apiCpu / Math.max(1, apiPhase.load.ok)) * 1e6;
    const plainUsPerPost = (plainCpu / Math.max(1, result.ok)) * 1e6;
    return {
      apiUsPerPost,
      plainUsPerPost,
      ratio: plainUsPerPost > 0 ? apiUsPerPost / plainUsPerPost : 0,
      apiPerSecond: apiPhase.load.ok / apiPhase.load.seconds,
      plainPerSecond: result.ok / result.seconds,
    };
  } finally {
    child.kill("SIGTERM");
    if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
  }
}

/** The report's lines (Markdown). */
export function httpCostLines(cost: HttpCost): string {
  const us = (n: number) => n.toFixed(1);
  const rate = (n: number) => Math.round(n).toLocaleString("en-US");
  return [
    `- API CPU us per single POST: **${us(cost.apiUsPerPost)}** (${rate(cost.apiPerSecond)} POSTs/s answered)`,
    `- plain node:http us per POST: **${us(cost.plainUsPerPost)}** (${rate(cost.plainPerSecond)} POSTs/s answered; tests/bench/http/plainNodeServer.ts)`,
    `- ratio API / plain node:http: **${cost.ratio.toFixed(2)}x** (target: at most 2.5x)`,
  ].join("\n");
}
