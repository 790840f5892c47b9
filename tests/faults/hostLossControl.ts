import { join } from "node:path";
import { type AppendFsync, signalGroup, startRedis } from "@accounts/devstack";
import { readPendingState } from "@accounts/queue";
import { type AppStack, startAppStack, waitFor } from "@accounts/tests/harness";
import { Redis } from "ioredis";
import { createApiClients } from "../e2e/support/apiClients.ts";
import { ApiConnection } from "../loadKit/apiConnection.ts";
import type { OwnServers } from "../loadKit/ownServers.ts";
import type { Random } from "../loadKit/random.ts";
import { checkRun, waitForDrain } from "./checkRun.ts";
import { waitUntilHealthy } from "./faultInjector.ts";
import { type OperationRecord, startFaultLoad } from "./faultLoad.ts";
import { RedisPair } from "./hostLoss.ts";

/**
 * Loses the master's machine while the workers are paused and the replication link is held back
 * for `holdMs`: what was acknowledged in that window exists on the lost machine only, unless the
 * API waited for the replica (ACCEPT_MIN_REPLICAS). The workers are paused (SIGSTOP) so that the
 * window's jobs are still queued, not applied already, when the machine goes.
 */
export async function loseMasterWithWorkersPaused(
  pair: RedisPair,
  stack: AppStack,
  holdMs: number,
): Promise<{ target: string; holdMs: number }> {
  const workers = stack.processes.filter((p) => p.app === "worker" && p.running());
  for (const worker of workers) signalGroup(worker.pid(), "SIGSTOP");
  try {
    const { target } = await pair.loseMaster(holdMs);
    return { target, holdMs };
  } finally {
    for (const worker of workers) signalGroup(worker.pid(), "SIGCONT");
  }
}

/**
 * Acknowledged operations still `accepted` after the drain: a pending record in Redis and no row in
 * PostgreSQL (their job is gone; the pending sweeper reports them after PENDING_STALE_SECONDS).
 */
export async function countLeftAccepted(
  redisUrl: string,
  namespace: string,
  records: readonly OperationRecord[],
  appliedIds: ReadonlySet<string>,
): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const states = { redis, namespace, ttlSeconds: 86_400 };
    let left = 0;
    for (const record of records) {
      if (record.outcome !== "acknowledged" || !record.id || appliedIds.has(record.id)) continue;
      if ((await readPendingState(states, record.id))?.state === "accepted") left += 1;
    }
    return left;
  } finally {
    redis.disconnect();
  }
}

export interface ControlResult {
  acknowledged: number;
  lost: number;
  leftAccepted: number;
  holdMs: number;
}

/**
 * The negative control of the host-loss faults: the same fault with ACCEPT_MIN_REPLICAS=0, on a
 * master/replica pair and a stack of its own (its own database), under the same load. It must lose
 * acknowledged operations; the suite fails when it loses none (the fault would prove nothing).
 */
export async function runHostLossControl(options: {
  servers: OwnServers;
  fsync: AppendFsync;
  random: Random;
  runId: string;
  rate: number;
  holdMs: number;
  say: (line: string) => void;
}): Promise<ControlResult> {
  const dir = join(options.servers.dir, "control");
  const master = await startRedis({
    dataDir: join(dir, "redis-master"),
    appendfsync: options.fsync,
    quiet: true,
  });
  const pair = await RedisPair.start(master, dir, options.fsync);
  let stack: AppStack | undefined;
  try {
    stack = await startAppStack({
      workers: 1,
      databaseAdminUrl: options.servers.postgres.url,
      redisUrl: pair.url,
      templateDatabase: options.servers.templateDatabase,
      logDir: options.servers.dir,
      env: { ACCEPT_MIN_REPLICAS: "0", PARTITION_LOCK_MS: "5000", LOG_LEVEL: "warn", LOG_REQUESTS: "false" },
    });
    const clients = await createApiClients(stack, [
      { name: "control-a", scopes: ["operations:write", "operations:read"] },
    ]);
    const apiUrl = stack.apiUrl;
    const connections = Array.from({ length: 4 }, () => new ApiConnection(apiUrl, clients[0]?.key ?? ""));
    const load = startFaultLoad({
      runId: options.runId,
      connections,
      accountsPerLane: 6,
      rate: options.rate,
      noRetryShare: 0.1,
      batchShare: 0.1,
      pollShare: 0.2,
      random: options.random,
      retryDeadlineMs: 120_000,
    });
    await waitFor(() => load.acknowledged() >= 100, {
      timeoutMs: 60_000,
      message: "the control's load warmed up",
    });
    const fault = await loseMasterWithWorkersPaused(pair, stack, options.holdMs);
    await waitUntilHealthy(stack);
    const before = load.acknowledged();
    await waitFor(() => load.acknowledged() >= before + 20, {
      timeoutMs: 60_000,
      message: "the control's acknowledgements flowing again",
    });
    options.say(`control: lost ${fault.target} with the link held ${fault.holdMs} ms, ACCEPT_MIN_REPLICAS=0`);
    await load.stop();
    await Promise.all(connections.map((c) => c.close()));
    const catalog = {
      namespace: stack.namespace,
      partitions: Number(stack.processes[0]?.env.PARTITIONS ?? 16),
    };
    await waitForDrain(pair.url, catalog, 180_000);
    const check = await checkRun(stack.databaseUrl, options.runId, load.records);
    const applied = new Set(check.storedIds);
    return {
      acknowledged: check.verdict.acknowledged,
      lost: check.verdict.lost.length,
      leftAccepted: await countLeftAccepted(pair.url, stack.namespace, load.records, applied),
      holdMs: fault.holdMs,
    };
  } finally {
    await stack?.stop().catch(() => {});
    await pair.stop();
  }
}
