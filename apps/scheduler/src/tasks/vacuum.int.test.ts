import { createDb, createPool, type Db } from "@accounts/db";
import { createLogger } from "@accounts/runtime";
import { useTestDatabase } from "@accounts/tests/harness";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vacuumTask } from "./vacuum.ts";

// Real PostgreSQL: VACUUM must run outside a transaction, which only a real server checks.

const database = useTestDatabase();
const log = createLogger({ service: "test", level: "silent" });
let db: Db;
const context = { runId: 1, trigger: "schedule" as const, now: () => new Date(), log };

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 2 }));
});
afterAll(async () => {
  await db.destroy();
});

describe("vacuum task", () => {
  it("vacuums and analyzes each busy table, timing each", async () => {
    const outcome = await vacuumTask({ db })(context);
    expect(outcome.ok).toBe(true);
    const tables = outcome.details.tables as { table: string; ms: number }[];
    expect(tables.map((t) => t.table)).toEqual([
      "accounts",
      "operations",
      "ledger_entries",
      "webhook_outbox",
      "webhook_deliveries",
      "api_clients",
    ]);
    for (const t of tables) expect(t.ms).toBeGreaterThanOrEqual(0);
    const { rows } = await sql<{ analyzed: Date | null }>`
      SELECT max(last_analyze) AS analyzed FROM pg_stat_user_tables WHERE relname LIKE 'accounts_p%'
    `.execute(db);
    expect(rows[0]?.analyzed).not.toBeNull();
  });
});
