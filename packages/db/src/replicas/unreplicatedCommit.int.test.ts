import { chmodSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { createDatabase, type PostgresServer, startPostgres } from "@accounts/devstack";
import { newQueuedOperation } from "@accounts/domain";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyOperationBatch } from "../ledger/applyOperationBatch.ts";
import { migrateToLatest } from "../migrator.ts";
import { createDb, createPool, type Db } from "../pool.ts";
import { UnreplicatedCommitError } from "./unreplicatedCommit.ts";

// A server of its own: synchronous_standby_names is server-wide, and here it names a standby that
// never connects, so every commit that wrote WAL waits until a cancel request ends the wait.
const root = mkdtempSync(join(inject("harnessDir"), "unreplicated-"));
chmodSync(root, 0o755);
let server: PostgresServer;
let db: Db;

/** Waits for a backend to wait for the synchronous standby (wait event SyncRep), then cancels it. */
async function cancelSyncRepWait(): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query(
        "SELECT pg_cancel_backend(pid) AS cancelled FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
      );
      if (rows.length > 0) return;
      await new Promise((done) => setTimeout(done, 20));
    }
  } finally {
    await client.end();
  }
}

async function setStandbyNames(value: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`ALTER SYSTEM SET synchronous_standby_names = '${value}'`);
    await client.query("SELECT pg_reload_conf()");
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  server = await startPostgres({ dataDir: join(root, "pg"), quiet: true, settings: { fsync: "off" } });
  await createDatabase(server.url, "accounts");
  const url = server.url.replace(/\/postgres$/, "/accounts");
  await migrateToLatest(url);
  await setStandbyNames("ghost");
  db = createDb(createPool(url, { max: 2 }));
});
afterAll(async () => {
  await db?.destroy();
  await server?.stop();
});

describe("a commit whose wait for the synchronous standby was cancelled", () => {
  it("is an UnreplicatedCommitError, and the rerun waits for the standby again before answering", async () => {
    const scales = new Map([["USD", 2]]);
    const op = newQueuedOperation(
      { type: "credit", account: { userId: "alice", currency: "USD" }, amount: "5.00" },
      "client-a",
      "test",
    );
    const first = applyOperationBatch(db, { partition: 0, operations: [op], scales }).catch(
      (e: unknown) => e,
    );
    await cancelSyncRepWait();
    expect(await first).toBeInstanceOf(UnreplicatedCommitError);
    // Committed locally (that is what makes it dangerous) ...
    const { rows } = await db
      .selectFrom("operations")
      .select("status")
      .where("id", "=", op.id)
      .execute()
      .then((found) => ({ rows: found }));
    expect(rows).toEqual([{ status: "applied" }]);
    // ... and the rerun, finding it stored, still waits for a standby: cancelled again.
    const rerun = applyOperationBatch(db, { partition: 0, operations: [op], scales }).catch(
      (e: unknown) => e,
    );
    await cancelSyncRepWait();
    expect(await rerun).toBeInstanceOf(UnreplicatedCommitError);
    // Once the standby requirement is met (here: none), the rerun answers the stored result, once.
    await setStandbyNames("");
    const [outcome] = await applyOperationBatch(db, { partition: 0, operations: [op], scales });
    expect(outcome).toMatchObject({ id: op.id, status: "applied", replayed: true });
    // Applied once: one credit's balance, not two.
    const balance = await db
      .selectFrom("accounts")
      .select("available")
      .where("user_id", "=", "alice")
      .where("currency", "=", "USD")
      .execute();
    expect(balance).toEqual([{ available: "5.00" }]);
  });
});
