/**
 * `npx tsx tests/recovery/restore-large.ts --gb 1`: the recovery time of a large database, measured.
 * Builds an accounts database of at least --gb GB through the ledger core (real operations, ledger
 * entries and balances, so that the invariants hold) on a durable PostgreSQL archiving through
 * pgBackRest, takes a full backup, applies --after-seconds more of load (noting a time T half way),
 * then runs `npm run ctl -- restore --to latest` and `--to T` as an operator would and reports how
 * long each step took.
 *
 *   --gb N              size to build (default 1)
 *   --after-seconds N   load after the backup, replayed from the WAL archive (default 60)
 *   --dir DIR           work folder (default: a new one under the system's temporary folder)
 *   --keep              leave the servers' folders (and the restored copies) in place
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { takePhysicalBackup } from "@accounts/backups";
import { sql } from "kysely";
import { parseFlags } from "../loadKit/cliFlags.ts";
import { DATABASE, startArchivingServer } from "./support/archivingServer.ts";
import { applyLoad, seedLoadAccounts } from "./support/ledgerLoad.ts";
import { waitUntilArchived } from "./support/walArchive.ts";

const flags = parseFlags(process.argv.slice(2), { gb: 1, "after-seconds": 60, dir: "", keep: false });
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const USERS = 200_000;
const say = (line: string) => console.error(`[large] ${line}`);
const dir = flags.dir || mkdtempSync(join(tmpdir(), "accounts-restore-large-"));
chmodSync(dir, 0o755);

say(`starting PostgreSQL (durable, archiving) in ${dir}`);
const primary = await startArchivingServer({
  dir: join(dir, "primary"),
  archiveTimeoutSeconds: 60,
  backup: false,
  settings: {
    shared_buffers: "512MB",
    max_wal_size: "8GB",
    checkpoint_timeout: "15min",
    max_connections: "200",
  },
});
const { db } = primary;
const databaseBytes = async () =>
  Number(
    (await sql<{ n: string }>`SELECT pg_database_size(current_database())::text AS n`.execute(db)).rows[0]?.n,
  );

try {
  say(`creating ${USERS.toLocaleString("en-US")} accounts`);
  await seedLoadAccounts(db, USERS);
  const target = flags.gb * 1e9;
  const started = Date.now();
  let size = await databaseBytes();
  let checkedAt = Date.now();
  const operations = await applyLoad(db, {
    concurrency: 2,
    batchSize: 1000,
    users: USERS,
    stop: () => size >= target,
    onBatch: (applied) => {
      if (Date.now() - checkedAt < 10_000) return;
      checkedAt = Date.now();
      void databaseBytes().then((bytes) => {
        size = bytes;
        say(
          `${applied.toLocaleString("en-US")} operations, database ${(bytes / 1e9).toFixed(2)} GB, ${Math.round((Date.now() - started) / 1000)} s`,
        );
      });
    },
  });
  size = await databaseBytes();
  say(
    `built: ${operations.toLocaleString("en-US")} operations, ${(size / 1e9).toFixed(2)} GB in ${Math.round((Date.now() - started) / 1000)} s`,
  );

  say("full backup");
  const backup = await takePhysicalBackup(primary.pgbackrest, "full");
  say(
    `full backup ${backup.backup.label}: ${(backup.durationMs / 1000).toFixed(1)} s, ${(backup.backup.repositoryBytes / 1e9).toFixed(2)} GB in the repository`,
  );

  say(`${flags["after-seconds"]} s more load (to replay from the archive), T half way`);
  const loadStarted = Date.now();
  let targetTime = "";
  const after = await applyLoad(db, {
    concurrency: 2,
    batchSize: 1000,
    users: USERS,
    stop: () => Date.now() - loadStarted > flags["after-seconds"] * 1000,
    onBatch: () => {
      if (!targetTime && Date.now() - loadStarted > (flags["after-seconds"] * 1000) / 2)
        targetTime = new Date().toISOString();
    },
  });
  const archivedMs = await waitUntilArchived(db, 300_000);
  say(
    `${after.toLocaleString("en-US")} operations after the backup; all archived ${(archivedMs / 1000).toFixed(1)} s after the last`,
  );

  const results: Record<string, unknown>[] = [];
  for (const to of ["latest", targetTime]) {
    const dataDir = join(dir, to === "latest" ? "restored-latest" : "restored-t");
    say(`npm run ctl -- restore --to ${to}`);
    const t = Date.now();
    const run = await ctl(["restore", "--to", to, "--data-dir", dataDir, "--json"], primary.configFile);
    const wallMs = Date.now() - t;
    if (run.code !== 0) throw new Error(`restore --to ${to} failed (${run.code}):\n${run.stderr}`);
    const result = JSON.parse(run.stdout) as Record<string, unknown> & {
      recovery: { segmentsRestored: number };
    };
    results.push({
      to,
      wallSeconds: wallMs / 1000,
      filesSeconds: (result.restoreMs as number) / 1000,
      replaySeconds: (result.replayMs as number) / 1000,
      checksSeconds: (result.verifyMs as number) / 1000,
      walSegmentsReplayed: result.recovery.segmentsRestored,
      invariantsOk: (result.invariants as { ok: boolean }).ok,
    });
    if (!flags.keep) rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    JSON.stringify(
      {
        databaseGB: Number((size / 1e9).toFixed(2)),
        operations: operations + after,
        buildSeconds: Math.round((Date.now() - started) / 1000),
        fullBackupSeconds: backup.durationMs / 1000,
        repositoryGB: Number((backup.backup.repositoryBytes / 1e9).toFixed(2)),
        restores: results,
      },
      null,
      2,
    ),
  );
} finally {
  await db.destroy();
  await primary.server.stop();
  if (!flags.keep && !flags.dir) rmSync(dir, { recursive: true, force: true });
}

function ctl(args: string[], configFile: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PGBACKREST_CONFIG: configFile,
    RESTORE_DATABASE: DATABASE,
  };
  return new Promise((resolve) => {
    execFile(
      join(ROOT, "node_modules", ".bin", "tsx"),
      [join(ROOT, "apps", "ctl", "src", "main.ts"), ...args],
      { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        process.stderr.write(stderr);
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}
