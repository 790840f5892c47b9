import { execFile } from "node:child_process";
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  applyOperationBatch,
  checkLedgerInvariants,
  createDb,
  createPool,
  type Db,
  insertMaintenanceRun,
} from "@accounts/db";
import { databaseUrl, dropDatabase } from "@accounts/devstack";
import type { OperationRequest } from "@accounts/domain";
import { newQueuedOperation } from "@accounts/domain";
import { useTestDatabase } from "@accounts/tests/harness";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupVerificationError, RestoreRefusedError } from "./errors.ts";
import { createBackup, resolvePgTools, restoreBackup, sha256OfFile, writeChecksumFile } from "./index.ts";

// Real PostgreSQL (this file's database on the harness server), real pg_dump and pg_restore.

const database = useTestDatabase();
const tools = resolvePgTools();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "accounts-backup-test-"));
  await withDb(seed);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const db = createDb(createPool(database.url(), { max: 2 }));
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

async function seed(db: Db): Promise<void> {
  const requests: OperationRequest[] = [];
  for (let i = 0; i < 20; i++) {
    requests.push({ type: "credit", account: { userId: `u${i}`, currency: "BTC" }, amount: `${i + 1}.5` });
    requests.push({ type: "credit", account: { userId: `u${i}`, currency: "USDT" }, amount: "1000" });
    requests.push({ type: "reserve", account: { userId: `u${i}`, currency: "BTC" }, amount: "0.25" });
  }
  requests.push({
    type: "transfer",
    postings: [
      {
        from: { userId: "u1", bucket: "reserved" },
        to: { userId: "u2", bucket: "available" },
        currency: "BTC",
        amount: "0.1",
      },
      {
        from: { userId: "u2", bucket: "available" },
        to: { userId: "u1", bucket: "available" },
        currency: "USDT",
        amount: "650",
      },
    ],
  });
  await applyOperationBatch(db, {
    partition: 0,
    operations: requests.map((request) => newQueuedOperation(request, "cl_seed", "h")),
    scales: new Map([
      ["BTC", 8],
      ["USDT", 6],
    ]),
  });
}

const FINGERPRINTED = [
  "currencies",
  "accounts",
  "operations",
  "ledger_entries",
  "api_clients",
  "webhook_deliveries",
];

/** Row count and an MD5 of every row of each table, in a stable order: equal means identical. */
async function fingerprint(db: Db): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of FINGERPRINTED) {
    const { rows } = await sql<{ n: number; h: string }>`
      SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) AS h
      FROM ${sql.table(table)} t
    `.execute(db);
    result[table] = `${rows[0]?.n}:${rows[0]?.h}`;
  }
  const seq = await sql<{ v: string }>`SELECT last_value::text AS v FROM ledger_entries_id_seq`.execute(db);
  result.ledger_entries_id_seq = seq.rows[0]?.v ?? "";
  return result;
}

const backupOptions = () => ({ databaseUrl: database.url(), dir, tools, keepCount: 100, keepDays: 365 });

describe("createBackup", () => {
  it("writes a verified dump with a sha256sum-format checksum, readable only by its owner", async () => {
    const progress: number[] = [];
    const result = await createBackup({ ...backupOptions(), onProgress: (bytes) => progress.push(bytes) });
    expect(result.name).toMatch(/^accounts-\d{8}T\d{6}\.\d{3}Z\.dump$/);
    expect(result.archiveEntries).toBeGreaterThan(50);
    expect(result.tablesWithData).toBeGreaterThan(10);
    expect(statSync(result.file).size).toBe(result.sizeBytes);
    expect(statSync(result.file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(progress.at(-1)).toBe(result.sizeBytes);
    expect(await readFile(result.checksumFile, "utf8")).toBe(`${result.sha256}  ${result.name}\n`);
    const check = await promisify(execFile)("sha256sum", ["-c", `${result.name}.sha256`], { cwd: dir });
    expect(check.stdout).toContain(`${result.name}: OK`);
    expect(readdirSync(dir).filter((name) => name.endsWith(".partial"))).toEqual([]);
  });

  it("leaves no file behind when pg_dump fails", async () => {
    const own = mkdtempSync(join(dir, "fail-"));
    const url = new URL(database.url());
    url.pathname = "/no_such_database";
    await expect(createBackup({ ...backupOptions(), dir: own, databaseUrl: url.href })).rejects.toThrow(
      /pg_dump failed.*no_such_database/s,
    );
    expect(readdirSync(own)).toEqual([]);
    rmSync(own, { recursive: true });
  });

  it("applies retention by count and by age on the clock it is given, keeping the newest", async () => {
    const own = mkdtempSync(join(dir, "retention-"));
    const day = 86_400_000;
    const start = Date.parse("2026-11-01T00:00:00Z");
    const names: string[] = [];
    for (const offset of [0, 1, 2]) {
      const at = new Date(start + offset * day);
      names.push(
        (await createBackup({ ...backupOptions(), dir: own, keepCount: 2, keepDays: 30, now: () => at }))
          .name,
      );
    }
    expect(readdirSync(own).sort()).toEqual(
      [names[1], `${names[1]}.sha256`, names[2], `${names[2]}.sha256`].sort(),
    );
    // Ten days later, with keepDays 5: only the new one stays.
    const late = new Date(start + 12 * day);
    const abandoned = join(own, "accounts-20261101T000000.000Z.dump.partial");
    writeFileSync(abandoned, "x");
    utimesSync(abandoned, new Date(start), new Date(start));
    const result = await createBackup({
      ...backupOptions(),
      dir: own,
      keepCount: 5,
      keepDays: 5,
      now: () => late,
    });
    expect(result.deleted.sort()).toEqual(
      [names[1], names[2], "accounts-20261101T000000.000Z.dump.partial"].sort(),
    );
    expect(readdirSync(own).sort()).toEqual([result.name, `${result.name}.sha256`].sort());
    rmSync(own, { recursive: true });
  });

  it("runs the upload command with the file as its argument and reports its failure", async () => {
    const own = mkdtempSync(join(dir, "upload-"));
    chmodSync(own, 0o700);
    const copies = join(own, "offsite");
    const upload = join(own, "upload.sh");
    writeFileSync(
      upload,
      `#!/bin/sh\nmkdir -p '${copies}' && cp "$1" "$BACKUP_SHA256_FILE" '${copies}/' && echo "copied $1"\n`,
    );
    chmodSync(upload, 0o755);
    const ok = await createBackup({ ...backupOptions(), dir: join(own, "b"), uploadCommand: upload });
    expect(ok.upload).toMatchObject({ ok: true, exitCode: 0, output: `copied ${ok.file}` });
    expect(readdirSync(copies).sort()).toEqual([ok.name, `${ok.name}.sha256`]);

    const failing = join(own, "fail.sh");
    writeFileSync(failing, "#!/bin/sh\necho 'bucket not found' >&2\nexit 3\n");
    chmodSync(failing, 0o755);
    const failed = await createBackup({ ...backupOptions(), dir: join(own, "b"), uploadCommand: failing });
    expect(failed.upload).toMatchObject({ ok: false, exitCode: 3, output: "bucket not found" });
    expect(statSync(failed.file).isFile()).toBe(true);
    rmSync(own, { recursive: true });
  });
});

describe("restoreBackup", () => {
  it("restores into the dropped database: every row identical, interrupted runs closed", async () => {
    const runId = await withDb((db) => insertMaintenanceRun(db, { task: "backup", trigger: "operator" }));
    const before = await withDb(fingerprint);
    const backup = await createBackup(backupOptions());
    await dropDatabase(databaseUrl(database.url(), "postgres"), database.name());

    const steps: string[] = [];
    const result = await restoreBackup({
      file: backup.file,
      serverUrl: database.url(),
      target: database.name(),
      force: false,
      tools,
      onStep: (line) => steps.push(line),
    });
    expect(result).toMatchObject({
      database: database.name(),
      replaced: false,
      sha256: backup.sha256,
      closedRuns: 1,
    });
    expect(result.counts.accounts).toBe(42);
    expect(steps[0]).toContain("checksum verified");
    await withDb(async (db) => {
      expect(await fingerprint(db)).toEqual(before);
      expect((await checkLedgerInvariants(db)).violations).toEqual([]);
      const run = await db
        .selectFrom("maintenance_runs")
        .selectAll()
        .where("id", "=", runId)
        .executeTakeFirst();
      expect(run?.status).toBe("failed");
    });
  });

  it("refuses a database that holds data unless forced, then replaces it", async () => {
    const backup = await createBackup(backupOptions());
    const restore = (force: boolean) =>
      restoreBackup({ file: backup.file, serverUrl: database.url(), target: database.name(), force, tools });
    await expect(restore(false)).rejects.toThrow(RestoreRefusedError);
    await expect(restore(false)).rejects.toThrow(/is not empty .* pass --force/);
    await withDb((db) => sql`INSERT INTO currencies (code, scale) VALUES ('ZZZ', 3)`.execute(db));
    const result = await restore(true);
    expect(result.replaced).toBe(true);
    await withDb(async (db) => {
      const zzz = await db.selectFrom("currencies").select("code").where("code", "=", "ZZZ").execute();
      expect(zzz).toEqual([]);
    });
  });

  it("refuses a corrupted file and a truncated one, changing nothing", async () => {
    const backup = await createBackup(backupOptions());
    const before = await withDb(fingerprint);
    const restore = (file: string) =>
      restoreBackup({ file, serverUrl: database.url(), target: database.name(), force: true, tools });

    const corrupted = join(dir, "corrupted.dump");
    const bytes = await readFile(backup.file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(corrupted, bytes);
    await copyFile(backup.checksumFile, `${corrupted}.sha256`);
    await expect(restore(corrupted)).rejects.toThrow(BackupVerificationError);
    await expect(restore(corrupted)).rejects.toThrow(/checksum mismatch/);

    // A checksum that matches proves nothing about a file cut short before it was summed.
    const truncated = join(dir, "truncated.dump");
    await copyFile(backup.file, truncated);
    truncateSync(truncated, Math.floor(backup.sizeBytes / 3));
    await writeChecksumFile(truncated, await sha256OfFile(truncated));
    await expect(restore(truncated)).rejects.toThrow(/not a readable backup/);

    const unsigned = join(dir, "unsigned.dump");
    await copyFile(backup.file, unsigned);
    await expect(restore(unsigned)).rejects.toThrow(/no checksum file/);

    expect(await withDb(fingerprint)).toEqual(before);
  });
});
