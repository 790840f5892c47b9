import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { AppendFsync } from "@accounts/devstack";
import { type AppStack, buildAppsForTests, startAppStack, waitFor } from "@accounts/tests/harness";
import { Redis } from "ioredis";
import { createApiClients } from "../e2e/support/apiClients.ts";
import { ApiConnection } from "../loadKit/apiConnection.ts";
import { parseFlags } from "../loadKit/cliFlags.ts";
import { type OwnServers, startOwnServers } from "../loadKit/ownServers.ts";
import { partitionDepths, totalDepth } from "../loadKit/queueDepth.ts";
import { seededRandom } from "../loadKit/random.ts";
import { checkRun, waitForDrain } from "./checkRun.ts";
import {
  FAULT_KINDS,
  type FaultKind,
  type InjectedFault,
  injectFault,
  waitUntilHealthy,
} from "./faultInjector.ts";
import { startFaultLoad, USUAL_FAULT_LOAD } from "./faultLoad.ts";
import { failuresOf, renderReport } from "./faultReport.ts";
import { RedisPair } from "./hostLoss.ts";
import { countLeftAccepted, loseMasterWithWorkersPaused, runHostLossControl } from "./hostLossControl.ts";

// The fault-injection suite: `npm run test:faults -- --faults 20`. Runs a steady mixed load against
// the real apps on a PostgreSQL and a Redis of its own, kills one process at a time with SIGKILL
// (worker, API, redis-server, postgres), restarts it, and after the drain checks that no
// acknowledged operation was lost or applied twice and that every account kept its order.
// Exits 1 when any check fails, 2 on a bad flag.
//
// Redis runs as a master and a replica behind one address (tests/faults/hostLoss.ts), the API with
// ACCEPT_MIN_REPLICAS=1. `--host-losses N` (default 2) also loses the master's machine N times: kill -9
// and its folder deleted, the replica promoted, the address moved, a new empty replica. Then a
// negative control (`--control`, default on) does the same with ACCEPT_MIN_REPLICAS=0 and must lose
// acknowledged operations.

const flags = parseFlags(process.argv.slice(2), {
  faults: 3,
  kinds: FAULT_KINDS.join(","),
  lanes: 6,
  rate: 250,
  fsync: "always",
  seed: 0,
  keep: false,
  "max-down-ms": 8000,
  "host-losses": 2,
  "hold-ms": 500,
  "control-hold-ms": 1500,
  control: true,
});
const kinds = flags.kinds.split(",").map((k) => k.trim()) as FaultKind[];
for (const kind of kinds) {
  if (!FAULT_KINDS.includes(kind))
    throw new Error(`unknown fault kind ${kind}; use ${FAULT_KINDS.join(",")}`);
}
if (!["always", "everysec", "no"].includes(flags.fsync)) throw new Error("--fsync is always, everysec or no");
const seed = flags.seed || randomBytes(4).readUInt32BE();
const random = seededRandom(seed);
const runId = `f${randomBytes(3).toString("hex")}`;
const started = Date.now();
const say = (line: string) => console.log(`[faults +${Math.round((Date.now() - started) / 1000)}s] ${line}`);

// Ctrl-C or a CI timeout: exit through process.exit so that every child (apps, servers) is killed.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
say(`seed ${seed}, ${flags.faults} faults of each of ${kinds.join(", ")}, Redis appendfsync ${flags.fsync}`);
await buildAppsForTests();
const servers: OwnServers = await startOwnServers({
  label: "faults",
  appendfsync: flags.fsync as AppendFsync,
});
const pair = await RedisPair.start(servers.redis, servers.dir, flags.fsync as AppendFsync);
const hostLosses: { target: string; holdMs: number; recoveryMs: number }[] = [];
let stack: AppStack | undefined;
let depthProbe: Redis | undefined;
let exitCode = 1;
/** Jobs waiting over all partitions that still count as keeping up (the steady state is a handful). */
const BACKLOG_OK = 100;
try {
  stack = await startAppStack({
    workers: 2,
    databaseAdminUrl: servers.postgres.url,
    redisUrl: pair.url,
    templateDatabase: servers.templateDatabase,
    logDir: servers.dir,
    env: {
      ACCEPT_MIN_REPLICAS: "1",
      ACCEPT_REPLICA_TIMEOUT_MS: "1000",
      // A killed worker's job is taken over once its lock expires: keep that short here.
      PARTITION_LOCK_MS: "5000",
      LOG_LEVEL: "warn",
      LOG_REQUESTS: "false",
    },
  });
  say(`stack up: API ${stack.apiUrl}, log ${stack.logFile}`);
  const clients = await createApiClients(stack, [
    { name: "faults-a", scopes: ["operations:write", "operations:read"] },
    { name: "faults-b", scopes: ["operations:write", "operations:read"] },
  ]);
  const apiUrl = stack.apiUrl;
  const connections = Array.from(
    { length: flags.lanes },
    (_, lane) => new ApiConnection(apiUrl, (clients[lane % clients.length] ?? clients[0])?.key ?? ""),
  );
  const load = startFaultLoad({
    runId,
    connections,
    ...USUAL_FAULT_LOAD,
    rate: flags.rate,
    random,
  });

  const schedule: (FaultKind | "host")[] = kinds.flatMap((kind) =>
    Array.from({ length: flags.faults }, () => kind),
  );
  for (let i = 0; i < flags["host-losses"]; i++) schedule.push("host");
  for (let i = schedule.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [schedule[i], schedule[j]] = [schedule[j] as FaultKind, schedule[i] as FaultKind];
  }
  const faults: InjectedFault[] = [];
  const catalog = {
    namespace: stack.namespace,
    partitions: Number(stack.processes[0]?.env.PARTITIONS ?? 16),
  };
  const probe = new Redis(pair.url, { maxRetriesPerRequest: 1 });
  probe.on("error", () => {});
  depthProbe = probe;
  await waitFor(() => load.acknowledged() >= 100, { timeoutMs: 60_000, message: "the load warmed up" });
  for (const [index, kind] of schedule.entries()) {
    // A random moment of steady load, then the crash.
    await sleep(random.int(300, 2_500));
    let fault: { target: string; downMs: number; recoveryMs: number };
    if (kind === "host") {
      const lossStarted = Date.now();
      const lost = await loseMasterWithWorkersPaused(pair, stack, random.int(50, flags["hold-ms"]));
      await waitUntilHealthy(stack);
      fault = { target: lost.target, downMs: lost.holdMs, recoveryMs: Date.now() - lossStarted };
      hostLosses.push({ target: lost.target, holdMs: lost.holdMs, recoveryMs: fault.recoveryMs });
    } else {
      const injected = await injectFault(
        kind,
        { stack, redis: pair.master, postgres: servers.postgres },
        random,
        flags["max-down-ms"],
      );
      faults.push(injected);
      fault = injected;
    }
    // Only the victim was killed: any other app process that is gone died of the fault (a crash).
    const dead = stack.processes.filter((p) => !p.running()).map((p) => p.name);
    if (dead.length > 0) throw new Error(`${dead.join(", ")} died after ${fault.target} was killed`);
    // Recovered means the callers get acknowledgements again, not just that the process is up.
    const before = load.acknowledged();
    await waitFor(() => load.acknowledged() >= before + 20, {
      timeoutMs: 60_000,
      message: `acknowledgements flowing again after killing ${fault.target}`,
    });
    // ...and every partition is applied again: a partition left stalled (a dead worker's job not
    // taken over) backs its queue up by about 15 jobs a second under this load.
    await waitFor(async () => totalDepth(await partitionDepths(probe, catalog)) <= BACKLOG_OK, {
      timeoutMs: 25_000,
      intervalMs: 250,
      message: `every partition applying again after killing ${fault.target} (backlog <= ${BACKLOG_OK} jobs)`,
    });
    say(
      `${index + 1}/${schedule.length} killed ${fault.target}: down ${fault.downMs} ms, healthy after ` +
        `${fault.recoveryMs} ms (${load.acknowledged()} acknowledged so far)`,
    );
  }
  say("faults done: stopping the load and waiting for the queues to drain");
  await load.stop();
  await Promise.all(connections.map((c) => c.close()));
  const drainStarted = Date.now();
  await waitForDrain(pair.url, catalog, 180_000);
  say(`drained in ${Math.round((Date.now() - drainStarted) / 1000)} s; checking the ledger`);
  const check = await checkRun(stack.databaseUrl, runId, load.records);
  const summary = {
    faults,
    records: load.records,
    attempts: load.attempts,
    check,
    seconds: (Date.now() - started) / 1000,
  };
  console.log(`\n${renderReport(summary)}\n`);
  const failures = failuresOf(summary);
  const leftAccepted = await countLeftAccepted(
    pair.url,
    stack.namespace,
    load.records,
    new Set(check.storedIds),
  );
  console.log(
    `host losses (kill -9 + data deleted, replica promoted, ACCEPT_MIN_REPLICAS=1): ${hostLosses.length}` +
      `${hostLosses.length > 0 ? `, link held ${hostLosses.map((h) => h.holdMs).join("/")} ms, max recovery ${Math.max(...hostLosses.map((h) => h.recoveryMs))} ms` : ""}` +
      `; left accepted: ${leftAccepted}; second ids of a key refused by PostgreSQL: ${check.verdict.duplicateIdsRefused}`,
  );
  if (leftAccepted > 0)
    failures.push(`${leftAccepted} acknowledged operations left accepted (their job is gone)`);
  if (flags.control && flags["host-losses"] > 0) {
    say("negative control: the same host loss with ACCEPT_MIN_REPLICAS=0");
    const control = await runHostLossControl({
      servers,
      fsync: flags.fsync as AppendFsync,
      random,
      runId: `${runId}c`,
      rate: flags.rate,
      holdMs: flags["control-hold-ms"],
      say,
    });
    console.log(
      `control (ACCEPT_MIN_REPLICAS=0, link held ${control.holdMs} ms): acknowledged ${control.acknowledged}, ` +
        `lost ${control.lost}, left accepted ${control.leftAccepted}`,
    );
    if (control.lost === 0)
      failures.push("the negative control lost nothing: the host-loss fault proves nothing");
  }
  if (failures.length === 0) {
    console.log("PASS: nothing lost, nothing applied twice, every account in order, reconcile clean");
    exitCode = 0;
  } else {
    console.log(`FAIL (seed ${seed}, log ${stack.logFile}):\n${failures.map((f) => `  - ${f}`).join("\n")}`);
  }
} catch (error) {
  console.error(`FAIL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (stack) console.error(`log: ${stack.logFile}`);
} finally {
  depthProbe?.disconnect();
  // A failed run keeps its servers' folder (data, logs) for a look; the database stays in it.
  const keep = flags.keep || exitCode !== 0;
  if (keep) {
    await Promise.allSettled((stack?.processes ?? []).map((p) => p.stop()));
    await Promise.allSettled([servers.postgres.stop(), pair.stop()]);
    console.log(`kept ${servers.dir}${stack ? ` (database ${stack.databaseUrl.split("/").pop()})` : ""}`);
  } else {
    await stack?.stop().catch(() => {});
    await pair.stop();
    await servers.stop();
  }
}
process.exit(exitCode);
