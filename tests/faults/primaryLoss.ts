import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  databaseUrl,
  type PostgresServer,
  type StandbyServer,
  setSynchronousStandbys,
  startStandby,
} from "@accounts/devstack";
import {
  type AppStack,
  buildAppsForTests,
  startAppStack,
  startTcpProxy,
  type TcpProxy,
  waitFor,
} from "@accounts/tests/harness";
import pg from "pg";
import { createApiClients } from "../e2e/support/apiClients.ts";
import { ApiConnection } from "../loadKit/apiConnection.ts";
import { parseFlags } from "../loadKit/cliFlags.ts";
import type { JsonObject } from "../loadKit/operationMix.ts";
import { type OwnServers, startOwnServers } from "../loadKit/ownServers.ts";
import { seededRandom } from "../loadKit/random.ts";
import { table } from "../loadKit/textTable.ts";
import { checkRun, waitForDrain } from "./checkRun.ts";
import { waitUntilHealthy } from "./faultInjector.ts";
import { type OperationRecord, startFaultLoad, USUAL_FAULT_LOAD } from "./faultLoad.ts";
import { failuresOf, renderReport } from "./faultReport.ts";

// The primary-loss suite: `npm run test:faults:primary -- --losses 20`. The apps reach PostgreSQL
// through one address (a TCP proxy, as a Kubernetes service the operator moves); a streaming standby
// receives the WAL through a second proxy that holds it back 50-130 ms (a slow network). Under a
// steady load with retrying callers, each loss: kill -9 the primary AND delete its data folder,
// promote the standby, move the apps' address to it, and seed a new standby from it.
//
// With `synchronous_standby_names` naming the standby (the default), every operation reported
// `applied` before a loss must be in the promoted database, and after the drain every acknowledged
// operation applied or rejected exactly once, in order, reconcile clean.
// `--async` is the negative control: the same losses with asynchronous replication must lose
// operations already reported applied; the run fails if it loses none. Exits 1 on failure.

const flags = parseFlags(process.argv.slice(2), {
  losses: 2,
  async: false,
  lanes: 6,
  rate: 200,
  seed: 0,
  keep: false,
  "delay-min-ms": 50,
  "delay-max-ms": 130,
  "replica-reads": true,
});
const seed = flags.seed || randomBytes(4).readUInt32BE();
const random = seededRandom(seed);
const runId = `p${randomBytes(3).toString("hex")}`;
const started = Date.now();
const mode = flags.async ? "asynchronous (negative control)" : "synchronous";
const say = (line: string) =>
  console.log(`[primary-loss +${Math.round((Date.now() - started) / 1000)}s] ${line}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

interface Loss {
  /** Operations a poll reported `applied` just before the loss. */
  appliedBefore: number;
  /** Of those, found in the promoted database (with their entries). */
  present: number;
  missing: string[];
  /** Kill until the promoted server accepts writes (ms). */
  promoteMs: number;
  /** Kill until the API is healthy and acknowledgements flow again (ms). */
  recoveryMs: number;
}

say(`seed ${seed}, ${flags.losses} primary losses, ${mode} replication`);
await buildAppsForTests();
const servers: OwnServers = await startOwnServers({ label: "primary-loss", appendfsync: "always" });
let primary: PostgresServer = servers.postgres;
const standbys: StandbyServer[] = [];
let appProxy: TcpProxy | undefined;
let walProxy: TcpProxy | undefined;
/** The API's read replica: always the current standby (a primary right after a promotion). */
let replicaProxy: TcpProxy | undefined;
let stack: AppStack | undefined;
let exitCode = 1;
let generation = 1;

/** A new standby of `primary`, streaming through the WAL proxy, named in synchronous_standby_names. */
async function seedStandby(): Promise<StandbyServer> {
  generation += 1;
  const name = `standby${generation}`;
  if (!walProxy) throw new Error("no WAL proxy");
  walProxy.retarget(primary.port);
  if (!flags.async) await setSynchronousStandbys(primary.url, [name], 0).catch(() => {});
  const standby = await startStandby({
    primary,
    name,
    dataDir: join(servers.dir, name),
    quiet: true,
    settings: {
      // Cloned directly, streams through the proxy that holds the WAL back.
      primary_conninfo: `host=127.0.0.1 port=${walProxy.port} user=postgres application_name=${name}`,
      max_connections: "200",
    },
  });
  standbys.push(standby);
  if (!flags.async) await setSynchronousStandbys(primary.url, [name]);
  replicaProxy?.retarget(standby.port);
  return standby;
}

/**
 * Follows every acknowledged operation with a long poll (`?wait=`) on connections of its client,
 * and remembers those reported `applied`, as soon as they are: what callers have been told, at any
 * moment. Each one reported applied is then read back in its account's entries (served by a
 * replica when one qualifies): a read that does not show it went back in time.
 */
function watchApplied(records: readonly OperationRecord[], pollers: readonly ApiConnection[]) {
  const applied = new Set<string>();
  const stale: string[] = [];
  let entriesRead = 0;
  /** The next record each client's loops take (records of lane L belong to client L % 2). */
  const cursors = [0, 0];
  let stopping = false;
  const take = (client: number): OperationRecord | undefined => {
    // Fallen far behind (an outage): skip to the recent ones.
    if (records.length - (cursors[client] ?? 0) > 400) cursors[client] = records.length - 100;
    while ((cursors[client] ?? 0) < records.length) {
      const record = records[cursors[client] ?? 0] as OperationRecord;
      cursors[client] = (cursors[client] ?? 0) + 1;
      if (record.id && record.lane % 2 === client) return record;
    }
    return undefined;
  };
  const loop = async (index: number) => {
    const client = index % 2;
    const poller = pollers[index] as ApiConnection;
    while (!stopping) {
      const next = take(client);
      if (!next?.id) {
        await sleep(5);
        continue;
      }
      const answer = await poller.get(`/v1/operations/${next.id}?wait=10`);
      if (answer.kind !== "answer" || answer.status !== 200 || answer.body.status !== "applied") continue;
      applied.add(next.id);
      const entries = await poller.get(`/v1/accounts/${next.userId}/entries?limit=1000`);
      if (entries.kind === "answer" && entries.status === 200) {
        entriesRead += 1;
        const list = Array.isArray(entries.body.entries) ? (entries.body.entries as JsonObject[]) : [];
        if (!list.some((entry) => entry.operationId === next.id)) stale.push(next.id);
      }
    }
  };
  const running = pollers.map((_, index) => loop(index));
  return {
    reportedApplied: () => [...applied],
    staleReads: () => stale,
    entriesRead: () => entriesRead,
    stop: async () => {
      stopping = true;
      await Promise.all(running);
    },
  };
}

/** The API's `accounts_db_reads_total` by target. */
async function readTargets(apiUrl: string): Promise<{ primary: number; replica: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const count = (target: string) =>
    Number(
      new RegExp(`^accounts_db_reads_total\\{[^}]*target="${target}"[^}]*\\} (\\S+)`, "m").exec(text)?.[1] ??
        0,
    );
  return { primary: count("primary"), replica: count("replica") };
}

async function query<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

try {
  walProxy = await startTcpProxy({
    targetPort: primary.port,
    downstreamDelayMs: { min: flags["delay-min-ms"], max: flags["delay-max-ms"] },
  });
  let standby = await seedStandby();
  appProxy = await startTcpProxy({ targetPort: primary.port });
  replicaProxy = await startTcpProxy({ targetPort: standby.port });
  stack = await startAppStack({
    workers: 2,
    databaseAdminUrl: servers.postgres.url,
    redisUrl: servers.redis.url,
    templateDatabase: servers.templateDatabase,
    logDir: servers.dir,
    databaseProxyPort: appProxy.port,
    env: {
      PARTITION_LOCK_MS: "5000",
      LOG_LEVEL: "warn",
      LOG_REQUESTS: "false",
    },
    // Reads of operations and entries from the standby when it replayed what was reported.
    ...(flags["replica-reads"] ? { replicaProxyPort: replicaProxy.port } : {}),
  });
  const databaseName = stack.databaseUrl.split("/").pop() as string;
  // The stack's database through the moving address (the same name on every server).
  const appUrl = databaseUrl(`postgres://postgres@127.0.0.1:${appProxy.port}/postgres`, databaseName);
  say(`stack up: API ${stack.apiUrl}, database ${databaseName} through 127.0.0.1:${appProxy.port}`);
  const clients = await createApiClients(stack, [
    { name: "loss-a", scopes: ["operations:write", "operations:read", "accounts:read"] },
    { name: "loss-b", scopes: ["operations:write", "operations:read", "accounts:read"] },
  ]);
  const key = (lane: number) => (clients[lane % clients.length] ?? clients[0])?.key ?? "";
  const connections = Array.from(
    { length: flags.lanes },
    (_, lane) => new ApiConnection(stack?.apiUrl ?? "", key(lane)),
  );
  // Long polls for the watcher: 16 connections, alternately of each client.
  const pollers = Array.from(
    { length: 16 },
    (_, index) =>
      new ApiConnection(stack?.apiUrl ?? "", clients[index % clients.length]?.key ?? "", {
        timeoutMs: 15_000,
      }),
  );
  const load = startFaultLoad({
    runId,
    connections,
    ...USUAL_FAULT_LOAD,
    rate: flags.rate,
    random,
  });
  const watcher = watchApplied(load.records, pollers);
  await waitFor(() => load.acknowledged() >= 100, { timeoutMs: 60_000, message: "the load warmed up" });

  const losses: Loss[] = [];
  /** Reported applied before an earlier loss (and checked then). */
  const checked = new Set<string>();
  for (let i = 0; i < flags.losses; i++) {
    await sleep(random.int(500, 2_500));
    // Every operation the API reported `applied` up to this moment (the watcher polls continuously).
    const applied = watcher.reportedApplied().filter((id) => !checked.has(id));
    for (const id of applied) checked.add(id);

    // The machine is gone: the server and its disk.
    const lossStarted = Date.now();
    await primary.kill("SIGKILL");
    walProxy.cut();
    rmSync(primary.dataDir, { recursive: true, force: true });
    await standby.promote();
    const promoteMs = Date.now() - lossStarted;
    const promoted = standby;
    // Present with their entries in the promoted database?
    const found = await query<{ id: string }>(
      databaseUrl(promoted.url, databaseName),
      `SELECT o.id FROM operations o WHERE o.id = ANY($1)
         AND EXISTS (SELECT 1 FROM ledger_entries e WHERE e.operation_id = o.id)`,
      [applied],
    );
    const present = new Set(found.map((row) => row.id));
    primary = promoted;
    appProxy.retarget(promoted.port);
    standby = await seedStandby();
    await waitUntilHealthy(stack);
    const before = load.acknowledged();
    await waitFor(() => load.acknowledged() >= before + 20, {
      timeoutMs: 60_000,
      message: `acknowledgements flowing again after primary loss ${i + 1}`,
    });
    const loss: Loss = {
      appliedBefore: applied.length,
      present: present.size,
      missing: applied.filter((id) => !present.has(id)),
      promoteMs,
      recoveryMs: Date.now() - lossStarted,
    };
    losses.push(loss);
    say(
      `${i + 1}/${flags.losses} primary lost: ${loss.present}/${loss.appliedBefore} reported applied present ` +
        `after promotion (${promoteMs} ms), acknowledging again after ${loss.recoveryMs} ms`,
    );
  }

  say("losses done: stopping the load and waiting for the queues to drain");
  await load.stop();
  await watcher.stop();
  await Promise.all([...connections, ...pollers].map((c) => c.close()));
  const catalog = {
    namespace: stack.namespace,
    partitions: Number(stack.processes[0]?.env.PARTITIONS ?? 16),
  };
  await waitForDrain(servers.redis.url, catalog, 180_000);
  const check = await checkRun(appUrl, runId, load.records);
  const summary = {
    faults: [],
    records: load.records,
    attempts: load.attempts,
    check,
    seconds: (Date.now() - started) / 1000,
  };
  const missing = losses.flatMap((l) => l.missing);
  const readsBy = await readTargets(stack.apiUrl);
  console.log(
    `\n${table([
      [
        "primary losses",
        "reported applied before",
        "present after promotion",
        "missing",
        "max promote ms",
        "max recovery ms",
      ],
      [
        losses.length,
        losses.reduce((s, l) => s + l.appliedBefore, 0),
        losses.reduce((s, l) => s + l.present, 0),
        missing.length,
        Math.max(0, ...losses.map((l) => l.promoteMs)),
        Math.max(0, ...losses.map((l) => l.recoveryMs)),
      ],
    ])}\n\nreads after "applied": ${watcher.entriesRead()} entry lists read, ${watcher.staleReads().length} without the operation; API reads by target: primary ${readsBy.primary}, replica ${readsBy.replica}\n\n${renderReport(summary)}\n`,
  );
  const failures = failuresOf(summary);
  const stale = watcher.staleReads();
  if (stale.length > 0)
    failures.push(
      `${stale.length} reads went back in time (entries without an operation reported applied): ${stale.slice(0, 10).join("; ")}`,
    );
  if (missing.length > 0)
    failures.push(
      `${missing.length} operations reported applied were not in the promoted database: ${missing.slice(0, 10).join("; ")}`,
    );
  if (flags.async) {
    // The control passes when the protection's absence shows: something reported or acknowledged is gone.
    const lost = missing.length + check.verdict.lost.length;
    if (lost > 0) {
      console.log(
        `PASS (control): asynchronous replication lost ${missing.length} operations reported applied, ${check.verdict.lost.length} acknowledged`,
      );
      exitCode = 0;
    } else {
      console.log(
        "FAIL (control): asynchronous replication lost nothing; the test cannot tell protection from luck",
      );
    }
  } else if (failures.length === 0) {
    console.log(
      "PASS: no operation reported applied was lost; nothing lost, duplicated or out of order; reconcile clean",
    );
    exitCode = 0;
  } else {
    console.log(`FAIL (seed ${seed}, log ${stack.logFile}):\n${failures.map((f) => `  - ${f}`).join("\n")}`);
  }
} catch (error) {
  console.error(`FAIL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (stack) console.error(`log: ${stack.logFile}`);
} finally {
  const keep = flags.keep || exitCode !== 0;
  await Promise.allSettled((stack?.processes ?? []).map((p) => p.stop()));
  await Promise.allSettled(standbys.map((s) => s.stop()));
  await Promise.allSettled([primary.stop(), servers.postgres.stop(), servers.redis.stop()]);
  await appProxy?.close();
  await walProxy?.close();
  await replicaProxy?.close();
  if (keep) console.log(`kept ${servers.dir}`);
  else await servers.stop();
}
process.exit(exitCode);
