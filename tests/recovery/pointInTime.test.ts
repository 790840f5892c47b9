import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  applyOperationBatch,
  checkLedgerInvariants,
  createDb,
  createPool,
  type Db,
  readArchiverStatus,
} from "@accounts/db";
import { databaseUrl, type PostgresServer, startPostgres } from "@accounts/devstack";
import type { OperationRequest } from "@accounts/domain";
import { newQueuedOperation } from "@accounts/domain";
import { sql } from "kysely";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runCtl } from "../../apps/ctl/src/runCtl.ts";
import { waitFor } from "../harness/index.ts";
import { type ArchivingServer, DATABASE, startArchivingServer } from "./support/archivingServer.ts";
import { currentWalFile, waitUntilArchived } from "./support/walArchive.ts";

// The proof of point-in-time recovery, with real servers and the real command: PostgreSQL with
// durable settings archiving its WAL through pgBackRest (archive_timeout 10 s here; 60 s in the local
// stack and production), operations applied by the ledger core, then `npm run ctl -- restore --to`
// run as a child process, and the restored folder started and compared with what was there.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ARCHIVE_TIMEOUT_SECONDS = 10;
/** The archive must follow within archive_timeout; the slack is for a busy machine. */
const ARCHIVE_WAIT_MS = (ARCHIVE_TIMEOUT_SECONDS * 3 + 30) * 1000;
const scales = new Map([
  ["BTC", 8],
  ["USDT", 6],
]);
const root = mkdtempSync(join(inject("harnessDir"), "pitr-"));
// PostgreSQL and pgBackRest run as `postgres` when we are root: it must enter this folder.
chmodSync(root, 0o755);
const servers: PostgresServer[] = [];
afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.stop()));
});

/** A durable PostgreSQL archiving into its own repository, migrated, with a full backup taken. */
async function startPrimary(name: string): Promise<ArchivingServer> {
  const primary = await startArchivingServer({
    dir: join(root, name),
    archiveTimeoutSeconds: ARCHIVE_TIMEOUT_SECONDS,
    // Above PostgreSQL's default, as in production: recovery needs at least the primary's value.
    settings: { max_connections: "150" },
  });
  servers.push(primary.server);
  return primary;
}

/** Applies a batch through the ledger core (one transaction, as a worker does) and returns its ids. */
async function apply(db: Db, label: string, users: number): Promise<string[]> {
  const requests: OperationRequest[] = [];
  for (let i = 0; i < users; i++) {
    requests.push({ type: "credit", account: { userId: `u${i}`, currency: "BTC" }, amount: `${i + 1}.125` });
    requests.push({ type: "credit", account: { userId: `u${i}`, currency: "USDT" }, amount: "250" });
    requests.push({ type: "reserve", account: { userId: `u${i}`, currency: "BTC" }, amount: "0.5" });
  }
  requests.push({
    type: "transfer",
    postings: [
      {
        from: { userId: "u0", bucket: "available" },
        to: { userId: "u1", bucket: "available" },
        currency: "USDT",
        amount: "100",
      },
    ],
  });
  const outcomes = await applyOperationBatch(db, {
    partition: 0,
    operations: requests.map((request) => newQueuedOperation(request, `cl_${label}`, "h")),
    scales,
  });
  expect(outcomes.every((outcome) => outcome.status === "applied")).toBe(true);
  return outcomes.map((outcome) => outcome.id);
}

interface Snapshot {
  operations: string[];
  balances: string[];
}

async function snapshot(db: Db): Promise<Snapshot> {
  const operations = await sql<{ id: string }>`SELECT id FROM operations ORDER BY id`.execute(db);
  const balances = await sql<{ row: string }>`
    SELECT concat_ws(' ', user_id, currency, available, reserved, total, version) AS row FROM accounts ORDER BY user_id, currency
  `.execute(db);
  return { operations: operations.rows.map((r) => r.id), balances: balances.rows.map((r) => r.row) };
}

/** The server's clock, to the microsecond, as RFC 3339 UTC. */
async function serverNow(db: Db): Promise<string> {
  const { rows } = await sql<{ t: string }>`
    SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
  `.execute(db);
  return rows[0]?.t ?? "";
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run ctl -- <args>` as a child process, as an operator runs it. */
function ctl(args: string[], configFile: string): Promise<Run> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PGBACKREST_CONFIG: configFile,
    PGBACKREST_STANZA: "accounts",
  };
  return new Promise((resolve) => {
    execFile(
      join(ROOT, "node_modules", ".bin", "tsx"),
      [join(ROOT, "apps", "ctl", "src", "main.ts"), ...args],
      { cwd: ROOT, env, timeout: 240_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The same command in this process (quicker, for the refusals). */
async function ctlInProcess(args: string[], configFile: string): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runCtl(args, {
    io: { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) },
    env: { PGBACKREST_CONFIG: configFile, PGBACKREST_STANZA: "accounts" },
  });
  return { code, stdout, stderr };
}

/** Starts a restored data folder the way it would serve (its own pg_hba.conf), reads it, stops it. */
async function readRestored(dataDir: string): Promise<{ snapshot: Snapshot; invariantsOk: boolean }> {
  const server = await startPostgres({ dataDir, quiet: true });
  const db = createDb(createPool(databaseUrl(server.url, DATABASE), { max: 1 }));
  try {
    return { snapshot: await snapshot(db), invariantsOk: (await checkLedgerInvariants(db)).ok };
  } finally {
    await db.destroy();
    await server.stop();
  }
}

describe("point-in-time restore (pgBackRest, npm run ctl -- restore --to)", () => {
  let primary: ArchivingServer;
  let beforeT: Snapshot;
  let idsBeforeT: string[];
  let idsAfterT: string[];

  it("restores to a time T: every operation applied before T with its balances, none after", async () => {
    primary = await startPrimary("primary");
    const { db } = primary;
    idsBeforeT = [...(await apply(db, "a1", 10)), ...(await apply(db, "a2", 5))];
    beforeT = await snapshot(db);
    const target = await serverNow(db);
    idsAfterT = await apply(db, "b", 12);
    expect((await snapshot(db)).balances).not.toEqual(beforeT.balances);
    const archivedAfterMs = await waitUntilArchived(db, ARCHIVE_WAIT_MS);
    console.info(
      `WAL with the last commit archived ${archivedAfterMs} ms later (archive_timeout ${ARCHIVE_TIMEOUT_SECONDS} s)`,
    );

    const dataDir = join(root, "restored-to-t");
    const run = await ctl(["restore", "--to", target, "--data-dir", dataDir], primary.configFile);
    console.info(`$ npm run ctl -- restore --to ${target} --data-dir ${dataDir}\n${run.stderr}${run.stdout}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Restored to ${target}`);
    expect(run.stdout).toMatch(/invariants hold/);
    expect(run.stdout).toContain(`last operation  ${idsBeforeT.at(-1)} transfer applied`);
    expect(run.stdout).toMatch(/stopped +before commit of transaction \d+/);

    const restored = await readRestored(dataDir);
    expect(restored.snapshot).toEqual(beforeT);
    expect(restored.snapshot.operations).toEqual([...idsBeforeT].sort());
    expect(restored.snapshot.operations.filter((id) => idsAfterT.includes(id))).toEqual([]);
    expect(restored.invariantsOk).toBe(true);
  }, 300_000);

  it("restores latest after the primary's data folder is deleted: nothing archived is lost", async () => {
    const { db, server } = primary;
    const idsLast = await apply(db, "c", 8);
    const before = await snapshot(db);
    const archivedAfterMs = await waitUntilArchived(db, ARCHIVE_WAIT_MS);
    console.info(
      `WAL with the last commit archived ${archivedAfterMs} ms later (archive_timeout ${ARCHIVE_TIMEOUT_SECONDS} s)`,
    );
    await db.destroy();
    await server.kill("SIGKILL");
    rmSync(server.dataDir, { recursive: true, force: true });

    const dataDir = join(root, "restored-latest");
    const run = await ctl(["restore", "--to", "latest", "--data-dir", dataDir], primary.configFile);
    console.info(`$ npm run ctl -- restore --to latest --data-dir ${dataDir}\n${run.stderr}${run.stdout}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`last operation  ${idsLast.at(-1)} transfer applied`);
    const restored = await readRestored(dataDir);
    expect(restored.snapshot).toEqual(before);
    expect(restored.snapshot.operations).toEqual([...idsBeforeT, ...idsAfterT, ...idsLast].sort());
    expect(restored.invariantsOk).toBe(true);
  }, 300_000);

  it("negative control: with archiving failing after the backup, the same loss of the data folder loses what followed", async () => {
    const control = await startPrimary("control");
    const { db, server } = control;
    const kept = await apply(db, "kept", 6);
    await waitUntilArchived(db, ARCHIVE_WAIT_MS);
    // Archiving breaks: the repository's archive can no longer be written (as a full disk or lost
    // credentials would do). The server keeps the WAL and retries; nothing reaches the archive.
    const archiveDir = join(root, "control", "pgbackrest", "repo", "archive");
    const lockDown = (mode: number) => {
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true }))
          if (entry.isDirectory()) walk(join(dir, entry.name));
        chmodSync(dir, mode);
      };
      walk(archiveDir);
    };
    lockDown(0o500);
    const lost = await apply(db, "lost", 6);
    const due = await currentWalFile(db);
    // The segment holding `lost` was due and its archiving failed: what WalArchivingFailing watches.
    const failed = await waitFor(
      async () => {
        const status = await readArchiverStatus(db);
        return status.failedCount > 0 && (status.lastFailedWal ?? "") >= due ? status : undefined;
      },
      {
        timeoutMs: ARCHIVE_WAIT_MS,
        intervalMs: 200,
        message: `archiving of ${due} failing`,
      },
    );
    expect(failed.lastFailedAt?.getTime()).toBeGreaterThan(failed.lastArchivedAt?.getTime() ?? 0);
    await db.destroy();
    await server.kill("SIGKILL");
    rmSync(server.dataDir, { recursive: true, force: true });
    lockDown(0o700);

    const dataDir = join(root, "control-restored");
    const run = await ctl(["restore", "--to", "latest", "--data-dir", dataDir], control.configFile);
    expect(run.code, run.stderr).toBe(0);
    const restored = await readRestored(dataDir);
    expect(restored.snapshot.operations).toEqual([...kept].sort());
    expect(restored.snapshot.operations.filter((id) => lost.includes(id))).toEqual([]);
    expect(restored.invariantsOk).toBe(true);
  }, 300_000);

  it("refuses what it cannot do before touching anything, saying what to do", async () => {
    const config = primary.configFile;
    const early = join(root, "too-early");
    const tooEarly = await ctlInProcess(
      ["restore", "--to", "2000-01-01T00:00:00Z", "--data-dir", early],
      config,
    );
    expect(tooEarly.code).toBe(1);
    expect(tooEarly.stderr).toMatch(/earliest time this repository can restore to is \d{4}-/);
    expect(existsSync(early)).toBe(false);

    const occupied = join(root, "restored-latest");
    const overExisting = await ctlInProcess(["restore", "--to", "latest", "--data-dir", occupied], config);
    expect(overExisting.code).toBe(1);
    expect(overExisting.stderr).toMatch(/exists and is not empty: .*never over a data folder/);
  });
});
