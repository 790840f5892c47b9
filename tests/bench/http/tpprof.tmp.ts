import { spawnSync } from "node:child_process";
import { startBenchStack } from "./stack.ts";
const prof = "/tmp/tpprof";
const stack = await startBenchStack({ workers: 1, log: (l) => { if (!l.startsWith("seeding")) console.error(l); }, env: { ...process.env, PARTITIONS: "2", BENCH_CPU_PROF: prof } });
try {
  const spec = { url: stack.apiUrl, apiKey: stack.apiKey, workload: "uniform", batch: 1, seconds: Number(process.env.SECS ?? 10), connections: 64, client: process.env.MODE !== "single" };
  const r = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${prof}/loadgen`, "--conditions=@accounts/source", "--import", "tsx", "tests/bench/http/loadgen.ts", JSON.stringify(spec)], { encoding: "utf8" });
  const res = JSON.parse(r.stdout);
  console.log(JSON.stringify({ ok: res.ok, seconds: res.seconds, rate: res.ok / res.seconds, lat: res.latencyMs, http: res.httpRequests }));
} finally { await stack.stop(); }
