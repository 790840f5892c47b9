import { once } from "node:events";
import { CurrencyCache, createDb, createPool, type Db } from "@accounts/db";
import { newQueuedOperation, type OperationRequest, type QueuedOperation } from "@accounts/domain";
import { createRedis, type OperationStateStore, type RedisClient } from "@accounts/queue";
import { createLogger, type Logger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase } from "@accounts/tests/harness";
import { sql } from "kysely";
import { afterAll, beforeAll } from "vitest";
import type { ApplyJobDeps } from "../partitions/applyJob.ts";

/** What the worker's integration tests run on: real PostgreSQL (this file's database) and Redis. */
export interface WorkerTestBed {
  readonly db: Db;
  readonly databaseUrl: string;
  readonly redis: RedisClient;
  readonly log: Logger;
  /** This file's operation records, on a namespace of its own. */
  readonly states: OperationStateStore;
  /** The deps of a partition processor over the above; `overrides` replace any of them. */
  applyDeps(overrides?: Partial<ApplyJobDeps>): ApplyJobDeps;
}

/**
 * Gives the calling test file its database (cloned from the migrated template), a Redis connection
 * and a namespace of its own. Call it once at the top of the file.
 *
 * @example
 * const bed = useWorkerTestBed();
 * it("...", async () => { await applyWithRetry(bed().db, input, bed().applyDeps()); });
 */
export function useWorkerTestBed(): () => WorkerTestBed {
  const database = useTestDatabase();
  let current: WorkerTestBed | undefined;
  beforeAll(async () => {
    const log = createLogger({ service: "test", level: "silent" });
    const db = createDb(createPool(database.url(), { max: 4 }));
    const redis = createRedis({ url: harnessRedisUrl() }, "commands", log);
    // A commands connection does not queue while connecting: the first test must not race it (the
    // post-commit publication of the commit position is not best effort, and fails the job).
    if (redis.status !== "ready") await once(redis, "ready");
    const states = { redis, namespace: uniquePrefix("worker").toLowerCase().slice(0, 32), ttlSeconds: 600 };
    current = {
      db,
      databaseUrl: database.url(),
      redis,
      log,
      states,
      applyDeps: (overrides = {}) => ({
        db,
        currencies: new CurrencyCache(db, 0),
        states,
        log,
        stopping: new AbortController().signal,
        hooks: [],
        failedTtlSeconds: 600,
        nonTransientRetries: 0,
        partitionsAhead: { daysAhead: 7, monthsAhead: 2 },
        ...overrides,
      }),
    };
  });
  afterAll(async () => {
    current?.redis.disconnect();
    await current?.db.destroy();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("useWorkerTestBed(): it exists only while the file's tests run");
    return current;
  };
}

/** A credit of `amount` USD to `userId`, queued as the API queues it (the id names `partition`). */
export function queuedCredit(userId: string, amount = "1", partition = 0): QueuedOperation {
  const request: OperationRequest = { type: "credit", account: { userId, currency: "USD" }, amount };
  return newQueuedOperation(request, "cl_test", "h", partition);
}

/**
 * Makes every ledger entry of a user whose id starts with `poison` fail to insert, with an error
 * that no retry cures (as a bug or corrupt data would): a trigger in this file's database.
 */
export async function installPoisonTrigger(db: Db): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.user_id LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned entry for %', NEW.user_id; END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`DROP TRIGGER IF EXISTS test_poison ON ledger_entries`.execute(db);
  await sql`CREATE TRIGGER test_poison BEFORE INSERT ON ledger_entries FOR EACH ROW EXECUTE FUNCTION test_poison()`.execute(
    db,
  );
}
