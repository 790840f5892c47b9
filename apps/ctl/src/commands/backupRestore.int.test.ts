import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyOperationBatch, createDb, createPool, type Db } from "@accounts/db";
import { databaseUrl, dropDatabase } from "@accounts/devstack";
import { newQueuedOperation, type OperationRequest } from "@accounts/domain";
import { type CtlRun, runCtl, useTestDatabase } from "@accounts/tests/harness";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The documented commands, run as the production image runs them (the built ctl, a child process), against this file's
// database on the harness server: backup, drop the database, restore, compare every row.

const database = useTestDatabase();
let backupDir: string;

beforeAll(async () => {
  backupDir = mkdtempSync(join(tmpdir(), "accounts-ctl-backup-"));
  await withDb(seed);
});
afterAll(() => {
  rmSync(backupDir, { recursive: true, force: true });
});

function ctl(args: string[]): Promise<CtlRun> {
  return runCtl(args, { DATABASE_URL: database.url(), BACKUP_DIR: backupDir });
}

async function withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(createPool(database.url(), { max: 1 }));
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

async function seed(db: Db): Promise<void> {
  const requests: OperationRequest[] = [];
  for (let i = 0; i < 30; i++) {
    requests.push({
      type: "credit",
      account: { userId: `c${i}`, currency: "ETH" },
      amount: `${i}.000000000000000001`,
    });
    requests.push({ type: "reserve", account: { userId: `c${i}`, currency: "ETH" }, amount: "0.5" });
    requests.push({
      type: "debit",
      account: { userId: `c${i}`, currency: "ETH" },
      amount: "0.1",
      bucket: "available",
    });
  }
  await applyOperationBatch(db, {
    partition: 3,
    operations: requests.map((request) => newQueuedOperation(request, "cl_seed", "h")),
    scales: new Map([["ETH", 18]]),
  });
}

/** Count and MD5 of every balance, operation and entry (and the ledger's sequence). */
async function fingerprint(db: Db): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of ["accounts", "operations", "ledger_entries", "currencies", "api_clients"]) {
    const { rows } = await sql<{ n: number; h: string }>`
      SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) AS h
      FROM ${sql.table(table)} t
    `.execute(db);
    result[table] = `${rows[0]?.n}:${rows[0]?.h}`;
  }
  const sums = await sql<{ s: string }>`
    SELECT string_agg(currency || '=' || total::text, ',' ORDER BY currency) AS s
    FROM (SELECT currency, sum(total) AS total FROM accounts GROUP BY currency) x
  `.execute(db);
  result.sums = sums.rows[0]?.s ?? "";
  return result;
}

describe("ctl backup and restore", () => {
  it("backs up, and restores into the dropped database with every row identical", async () => {
    const before = await withDb(fingerprint);
    expect(before.accounts).toMatch(/^3[01]:/);

    const backup = await ctl(["backup"]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr).toMatch(/backup: run #\d+, writing into /);
    expect(backup.stderr).toMatch(/backup: [\d.]+ (B|kB|MB) written/);
    const file = /^Backup written: (\S+)$/m.exec(backup.stdout)?.[1] ?? "";
    expect(file).toMatch(/accounts-\d{8}T\d{6}\.\d{3}Z\.dump$/);
    expect(backup.stdout).toMatch(/sha256\s+[0-9a-f]{64}/);
    const runs = await withDb((db) => db.selectFrom("maintenance_runs").selectAll().execute());
    expect(runs).toMatchObject([{ task: "backup", status: "succeeded", trigger: "operator" }]);
    expect(runs[0]?.details).toMatchObject({ via: "ctl", file, sizeBytes: expect.any(Number) });

    await dropDatabase(databaseUrl(database.url(), "postgres"), database.name());
    const restore = await ctl(["restore", file]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toContain("restore: checksum verified");
    expect(restore.stdout).toMatch(new RegExp(`into database ${database.name()} in`));
    expect(restore.stdout).toMatch(/^accounts\s+3[01]$/m);
    expect(restore.stdout).toMatch(/^ledger_entries\s+\d+$/m);
    expect(await withDb(fingerprint)).toEqual(before);
    const audit = await withDb((db) => db.selectFrom("audit_log").select(["event", "details"]).execute());
    expect(audit.map((a) => a.event)).toEqual(["maintenance.restore"]);
  });

  it("refuses to overwrite a database that holds data without --force", async () => {
    const backup = await ctl(["backup", "--json"]);
    const { file } = JSON.parse(backup.stdout) as { file: string };
    const refused = await ctl(["restore", file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/restore failed: database \S+ is not empty .* pass --force/);
    const forced = await ctl(["restore", file, "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("(replacing what it held)");
  });

  it("refuses a corrupted backup and changes nothing", async () => {
    const { file } = JSON.parse((await ctl(["backup", "--json"])).stdout) as { file: string };
    const before = await withDb(fingerprint);
    const bytes = await readFile(file);
    const at = bytes.length - 100;
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
    const refused = await ctl(["restore", file, "--force"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("restore failed: checksum mismatch");
    expect(await withDb(fingerprint)).toEqual(before);
  });

  it("explains its usage", async () => {
    const missing = await ctl(["restore"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("which backup?");
    const help = await ctl(["restore", "--help"]);
    expect(help.stdout).toContain("npm run ctl -- restore FILE [--database NAME] [--force]");
  });
});
