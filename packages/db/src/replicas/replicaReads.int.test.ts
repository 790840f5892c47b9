import { chmodSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createDatabase,
  type PostgresServer,
  startPostgres,
  startStandby,
  waitForStreaming,
} from "@accounts/devstack";
import { newQueuedOperation } from "@accounts/domain";
import { scaledTimeout, waitFor } from "@accounts/tests/harness";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { getBalances } from "../accounts/getBalances.ts";
import { applyOperationBatch } from "../ledger/applyOperationBatch.ts";
import { migrateToLatest } from "../migrator.ts";
import { createDb, createPool, type Db, poolOf } from "../pool.ts";
import { readWalInsertPosition } from "./lsn.ts";
import { type ReadTarget, ReplicaReads } from "./replicaReads.ts";

// A primary and a streaming standby of their own (replay is paused on the standby here).
const root = mkdtempSync(join(inject("harnessDir"), "replica-reads-"));
chmodSync(root, 0o755);
const servers: PostgresServer[] = [];
let primary: Db;
let standbyUrl: string;
let reads: ReplicaReads;
/** The commit high-water mark, as a worker publishes it after each batch. */
let mark: bigint | null = null;
const targets: ReadTarget[] = [];

const scales = new Map([["USD", 2]]);
const credit = (amount: string) =>
  newQueuedOperation(
    { type: "credit", account: { userId: "alice", currency: "USD" }, amount },
    "client-a",
    "test",
  );

/** Applies a batch and publishes its commit position, as the worker does. */
async function applyAndPublish(amount: string): Promise<void> {
  await applyOperationBatch(primary, { partition: 0, operations: [credit(amount)], scales });
  mark = await readWalInsertPosition(poolOf(primary));
}

async function onStandby(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: standbyUrl });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function balance(): Promise<{ available: string; target: ReadTarget }> {
  return reads.read("u1", async (db, target) => {
    const [row] = await getBalances(db, "alice", "USD");
    return { available: row?.available ?? "0", target };
  });
}

beforeAll(async () => {
  const server = await startPostgres({
    dataDir: join(root, "primary"),
    quiet: true,
    settings: { fsync: "off" },
  });
  servers.push(server);
  await createDatabase(server.url, "accounts");
  const url = server.url.replace(/\/postgres$/, "/accounts");
  await migrateToLatest(url);
  const standby = await startStandby({
    primary: server,
    dataDir: join(root, "standby"),
    name: "standby1",
    quiet: true,
  });
  servers.push(standby);
  await waitForStreaming(server.url, "standby1");
  standbyUrl = standby.url.replace(/\/postgres$/, "/accounts");
  primary = createDb(createPool(url, { max: 4 }));
  reads = new ReplicaReads({
    primary,
    replicas: [{ name: "standby1", url: standbyUrl }],
    commitPosition: async () => mark,
    maxLagSeconds: 5,
    pollIntervalMs: 50,
    onRead: (target) => targets.push(target),
  });
  reads.start();
});
afterAll(async () => {
  await reads?.close();
  await primary?.destroy();
  for (const server of servers.reverse()) await server.stop().catch(() => {});
});

describe("ReplicaReads", () => {
  it("reads from the replica once it replayed past the mark, and from the primary while it is held back", async () => {
    // No mark published yet: nothing is known to be on the replica, the primary answers.
    expect((await balance()).target).toBe("primary");

    await applyAndPublish("5.00");
    await waitFor(async () => (await balance()).target === "replica", {
      timeoutMs: scaledTimeout(20_000),
      message: "a read served by the replica",
    });
    expect(await balance()).toEqual({ available: "5.00", target: "replica" });

    // Idle primary, caught-up replica: no lag (the replay timestamp's age would grow here).
    await sleep(1_500);
    await waitFor(async () => reads.status()[0]?.lagSeconds === 0, {
      timeoutMs: scaledTimeout(10_000),
      message: "lag 0 when idle",
    });

    // Hold the replica back, then commit and publish: the replica may not answer any more.
    await onStandby("SELECT pg_wal_replay_pause()");
    await applyAndPublish("7.00");
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await balance());
    expect(answers.every((answer) => answer.available === "12.00" && answer.target === "primary")).toBe(true);
    // The control: the replica itself is stale, so reading it would have gone back in time.
    const stale = await onStandby(
      "SELECT available::text FROM accounts WHERE user_id = 'alice' AND currency = 'USD'",
    );
    expect(stale.rows).toEqual([{ available: "5.00" }]);
    // Its lag grows while held back, and counts bytes.
    await waitFor(async () => (reads.status()[0]?.lagBytes ?? 0) > 0, {
      timeoutMs: scaledTimeout(10_000),
      message: "lag bytes",
    });

    await onStandby("SELECT pg_wal_replay_resume()");
    await waitFor(async () => (await balance()).target === "replica", {
      timeoutMs: scaledTimeout(20_000),
      message: "the replica back in use",
    });
    expect(await balance()).toEqual({ available: "12.00", target: "replica" });
    expect(targets).toContain("replica");
  });

  it("falls back to the primary when a qualifying replica fails, and reports it", async () => {
    const replicaOnly = new ReplicaReads({
      primary,
      replicas: [{ name: "gone", url: "postgres://postgres@127.0.0.1:1/accounts" }],
      commitPosition: async () => mark,
      maxLagSeconds: 5,
    });
    await replicaOnly.poll();
    expect(replicaOnly.status()[0]).toMatchObject({ name: "gone", ok: false });
    expect(await replicaOnly.read("u1", async (_db, target) => target)).toBe("primary");
    await replicaOnly.close();
  });
});
