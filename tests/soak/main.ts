import { setTimeout as sleep } from "node:timers/promises";
import type { AppendFsync } from "@accounts/devstack";
import { JOB_OPTIONS } from "@accounts/queue";
import { type AppStack, buildAppsForTests, startAppStack, waitFor } from "@accounts/tests/harness";
import { Redis } from "ioredis";
import { createApiClient } from "../e2e/support/apiClients.ts";
import { ApiConnection } from "../loadKit/apiConnection.ts";
import { parseFlags } from "../loadKit/cliFlags.ts";
import { type OwnServers, startOwnServers } from "../loadKit/ownServers.ts";
import { seededRandom } from "../loadKit/random.ts";
import { table } from "../loadKit/textTable.ts";
import { judgeGrowth, MIN_R_SQUARED, type Series } from "./growth.ts";
import { completedJobs, queueDepth, redisMemory, rssMiB } from "./samplers.ts";
import { measureCapacity, startRateLoad } from "./steadyLoad.ts";

// The soak: `npm run soak -- --minutes 10`. Measures the stack's capacity briefly, then runs it at
// half of that (or --rate) for a warm-up (--warmup-minutes, 1 by default, not judged: V8 heaps grow
// for about a minute under a new load before their first full collection) plus the given minutes,
// samples the RSS of every app process and of
// redis-server, Redis's used memory and the partition queues' depth, prints them every
// --report-seconds, and fails when any of them grows steadily after the warm-up (see growth.ts).

const flags = parseFlags(process.argv.slice(2), {
  minutes: 1,
  rate: 0,
  "measure-seconds": 8,
  "sample-seconds": 5,
  "report-seconds": 60,
  "warmup-minutes": 1,
  connections: 24,
  fsync: "always",
  keep: false,
});
const warmupMinutes = Math.max(0, flags["warmup-minutes"]);
const totalMinutes = warmupMinutes + flags.minutes;
const started = Date.now();
const say = (line: string) => console.log(`[soak +${Math.round((Date.now() - started) / 1000)}s] ${line}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const IDEMPOTENCY_TTL_MINUTES = 1;

/** The count cap of a `removeOnComplete` option (a number, `{ count }`, or unbounded). */
function completedCap(option: unknown): number {
  if (typeof option === "number") return option;
  const count = (option as { count?: unknown } | undefined)?.count;
  return typeof count === "number" ? count : Number.POSITIVE_INFINITY;
}

/** Growth per minute that fails the soak, by kind of series (thresholds documented in docs/guarantees.md). */
const MAX_SLOPE = { rss: 4, redis: 1, depth: 100 };

if (!["always", "everysec", "no"].includes(flags.fsync)) throw new Error("--fsync is always, everysec or no");
await buildAppsForTests();
const servers: OwnServers = await startOwnServers({ label: "soak", appendfsync: flags.fsync as AppendFsync });
let stack: AppStack | undefined;
let exitCode = 1;
const redis = new Redis(servers.redis.url, { maxRetriesPerRequest: 1 });
try {
  stack = await startAppStack({
    workers: 2,
    databaseAdminUrl: servers.postgres.url,
    redisUrl: servers.redis.url,
    templateDatabase: servers.templateDatabase,
    logDir: servers.dir,
    // Idempotency records live IDEMPOTENCY_TTL_SECONDS (24 h by default) by design: with 60 s they
    // reach their steady state within the warm-up, and what still grows after it is a leak.
    env: {
      LOG_LEVEL: "warn",
      LOG_REQUESTS: "false",
      IDEMPOTENCY_TTL_SECONDS: String(IDEMPOTENCY_TTL_MINUTES * 60),
    },
  });
  const client = await createApiClient(stack, {
    name: "soak",
    scopes: ["operations:write", "operations:read"],
  });
  const apiUrl = stack.apiUrl;
  const connections = Array.from({ length: flags.connections }, () => new ApiConnection(apiUrl, client.key));
  const shape = {
    connections,
    accounts: Array.from({ length: 500 }, (_, i) => `soak-${i}`),
    random: seededRandom(42),
  };
  const catalog = { namespace: stack.namespace, partitions: 16 };
  const drained = () =>
    waitFor(async () => (await queueDepth(redis, catalog)) === 0, {
      timeoutMs: 120_000,
      intervalMs: 200,
      message: "queues drained",
    }).then(() => undefined);

  let rate = flags.rate;
  if (rate <= 0) {
    const capacity = await measureCapacity(shape, flags["measure-seconds"], drained);
    rate = Math.max(1, Math.round(capacity.perSecond / 2));
    say(`capacity ${Math.round(capacity.perSecond)} operations/s end to end; soaking at half: ${rate}/s`);
  } else say(`soaking at ${rate}/s (--rate)`);

  const processes = stack.processes;
  const series: (Series & { points: { minute: number; value: number }[] })[] = [
    ...processes.map((p) => ({
      name: `${p.name} RSS`,
      unit: "MiB",
      points: [],
      maxSlopePerMinute: MAX_SLOPE.rss,
    })),
    { name: "redis-server RSS", unit: "MiB", points: [], maxSlopePerMinute: MAX_SLOPE.rss },
    { name: "Redis used_memory", unit: "MiB", points: [], maxSlopePerMinute: MAX_SLOPE.redis },
    { name: "queue depth", unit: "jobs", points: [], maxSlopePerMinute: MAX_SLOPE.depth },
  ];
  const push = (index: number, minute: number, value: number) => {
    series[index]?.points.push({ minute, value });
  };

  const keptCap = completedCap(JOB_OPTIONS.partition.removeOnComplete) * catalog.partitions;
  let redisSteadyAt: number | undefined;
  const load = startRateLoad(shape, rate);
  const soakStarted = Date.now();
  const end = soakStarted + totalMinutes * 60_000;
  let nextReport = soakStarted + Math.min(flags["report-seconds"] * 1000, totalMinutes * 60_000);
  let lastAcked = 0;
  let lastReportAt = soakStarted;
  while (Date.now() < end) {
    await sleep(Math.min(flags["sample-seconds"] * 1000, Math.max(0, end - Date.now())));
    const minute = (Date.now() - soakStarted) / 60_000;
    processes.forEach((p, i) => {
      push(i, minute, rssMiB(p.pid()));
    });
    push(processes.length, minute, rssMiB(servers.redis.pid));
    const memory = await redisMemory(redis);
    push(processes.length + 1, minute, memory.usedMiB);
    const depth = await queueDepth(redis, catalog);
    push(processes.length + 2, minute, depth);
    const kept = await completedJobs(redis, catalog);
    // Redis holds idempotency records for their TTL and completed jobs up to their cap: it grows
    // by design until both are full, and is judged from then on. Redis expires keys by sampling,
    // so the records' count settles about one more TTL after the first ones expire (measured).
    const settled = minute >= 2 * IDEMPOTENCY_TTL_MINUTES;
    if (redisSteadyAt === undefined && settled && kept >= 0.95 * keptCap) {
      redisSteadyAt = minute;
      say(
        `Redis retention full at minute ${minute.toFixed(1)} (${kept} completed jobs kept): judged from here`,
      );
    }
    if (Date.now() >= nextReport || Date.now() >= end) {
      const c = load.counters;
      const perSecond = (c.acknowledged - lastAcked) / ((Date.now() - lastReportAt) / 1000);
      [lastAcked, lastReportAt] = [c.acknowledged, Date.now()];
      const rss = processes
        .map((p, i) => `${p.name} ${series[i]?.points.at(-1)?.value.toFixed(0)}`)
        .join(", ");
      say(
        `minute ${minute.toFixed(1)}: ${perSecond.toFixed(0)} acked/s; RSS MiB ${rss}, redis-server ` +
          `${rssMiB(servers.redis.pid).toFixed(0)}; Redis used_memory ${memory.usedMiB.toFixed(1)} MiB ` +
          `(${memory.keys} keys, ${kept}/${keptCap} completed jobs kept); queue depth ${depth}; ` +
          `refused ${c.refused}, failed ${c.failed}, behind ${c.behind}`,
      );
      nextReport += flags["report-seconds"] * 1000;
    }
  }
  await load.stop();
  await Promise.all(connections.map((c) => c.close()));
  for (const redisSeries of series.slice(processes.length, processes.length + 2)) {
    redisSeries.warmupMinutes = Math.max(redisSteadyAt ?? Number.POSITIVE_INFINITY, warmupMinutes);
  }
  const verdicts = series.map((s) => judgeGrowth(s, warmupMinutes));
  const rows: (string | number)[][] = [
    ["series", "unit", "first", "last", "min", "max", "slope/min", "R²", "verdict"],
  ];
  for (const v of verdicts) {
    rows.push([
      v.name,
      v.unit,
      ...[v.first, v.last, v.min, v.max, v.slopePerMinute].map((n) => Number(n.toFixed(1))),
      Number(v.rSquared.toFixed(2)),
      v.growsSteadily ? "GROWS" : v.judged ? "ok" : "not judged (retention filling)",
    ]);
  }
  const c = load.counters;
  console.log(
    `\n${table(rows)}\n\n${c.acknowledged} acknowledged of ${c.sent} sent at ${rate}/s for ${totalMinutes} min ` +
      `(refused ${c.refused}, no answer ${c.failed}, behind ${c.behind}); warm-up ${warmupMinutes.toFixed(1)} min; ` +
      `"GROWS": slope over the threshold (RSS ${MAX_SLOPE.rss} MiB/min, Redis ${MAX_SLOPE.redis} MiB/min, ` +
      `depth ${MAX_SLOPE.depth} jobs/min) with R² >= ${MIN_R_SQUARED}\n`,
  );
  const growing = verdicts.filter((v) => v.growsSteadily);
  const lossy = c.failed > 0 || c.refused > 0;
  if (growing.length === 0 && !lossy) {
    console.log("PASS: nothing grows steadily");
    exitCode = 0;
  } else {
    if (growing.length > 0) console.log(`FAIL: grows steadily: ${growing.map((v) => v.name).join(", ")}`);
    if (lossy)
      console.log(`FAIL: ${c.refused} refused and ${c.failed} unanswered submissions at half capacity`);
  }
} catch (error) {
  console.error(`FAIL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  redis.disconnect();
  if (flags.keep || exitCode !== 0) {
    await Promise.allSettled((stack?.processes ?? []).map((p) => p.stop()));
    await Promise.allSettled([servers.postgres.stop(), servers.redis.stop()]);
    console.log(`kept ${servers.dir}`);
  } else {
    await stack?.stop().catch(() => {});
    await servers.stop();
  }
}
process.exit(exitCode);
