/**
 * `npx tsx tests/recovery/measure-rpo.ts`: the recovery point under load, measured. Starts a durable
 * PostgreSQL archiving through pgBackRest (archive_timeout 60 s, as the local stack and production),
 * loads it, and every 250 ms notes the WAL position of "now" (a commit at that moment) and when the
 * archive first holds it. The delay from commit to archive is what a primary lost at that moment
 * would lose. After the load it keeps watching until the last position is archived: on a quiet
 * server, archive_timeout is what bounds it.
 *
 *   --load core        the ledger core applying batches from 4 loops (default)
 *   --load bench       `npm run bench -- --quick` against this server (DATABASE_URL), the HTTP benchmark
 *   --seconds N        length of the core load (default 120)
 *   --archive-timeout  seconds (default 60)
 *   --json             the result as JSON
 *   --keep             leave the server's folder (data, repository, log) in place
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, createPool, readArchiverStatus } from "@accounts/db";
import { sql } from "kysely";
import { parseFlags } from "../loadKit/cliFlags.ts";
import { startArchivingServer } from "./support/archivingServer.ts";
import { applyLoad, seedLoadAccounts } from "./support/ledgerLoad.ts";
import { currentWalFile, isArchived } from "./support/walArchive.ts";

const flags = parseFlags(process.argv.slice(2), {
  load: "core",
  seconds: 120,
  "archive-timeout": 60,
  json: false,
  keep: false,
});
const SAMPLE_MS = 250;
const say = (line: string) => {
  if (!flags.json) console.error(`[rpo] ${line}`);
};

interface Sample {
  at: number;
  wal: string;
  loading: boolean;
  archivedAfterMs?: number;
}

const dir = mkdtempSync(join(tmpdir(), "accounts-rpo-"));
chmodSync(dir, 0o755);
say(`starting PostgreSQL (durable, archive_timeout ${flags["archive-timeout"]} s) in ${dir}`);
const primary = await startArchivingServer({
  dir: join(dir, "primary"),
  archiveTimeoutSeconds: flags["archive-timeout"],
  settings: { shared_buffers: "512MB", max_wal_size: "4GB", max_connections: "200" },
});
try {
  const { db } = primary;
  // Its own connection: the load holds the pool's, and a sample must not wait for one.
  const probe = createDb(createPool(primary.url, { max: 1, applicationName: "rpo-probe" }));
  if (flags.load === "core") {
    say("creating 50,000 accounts");
    await seedLoadAccounts(db, 50_000);
  }
  const before = await readArchiverStatus(probe);
  const startLsn = (await sql<{ lsn: string }>`SELECT pg_current_wal_lsn()::text AS lsn`.execute(probe))
    .rows[0]?.lsn;
  const samples: Sample[] = [];
  let loading = true;
  let watching = true;
  // Any error of the sampler ends the measurement (caught where it is awaited, below).
  const sampler = (async () => {
    while (watching) {
      const now = Date.now();
      samples.push({ at: now, wal: await currentWalFile(probe), loading });
      const status = await readArchiverStatus(probe);
      const archived = status.lastArchivedWal ?? "";
      for (const sample of samples) {
        if (sample.archivedAfterMs === undefined && archived >= sample.wal)
          sample.archivedAfterMs = Date.now() - sample.at;
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  })();

  sampler.catch(() => {
    watching = false;
  });
  const started = Date.now();
  let operations = 0;
  if (flags.load === "bench") {
    say("running npm run bench -- --quick against this server");
    const admin = primary.server.url;
    await new Promise<void>((resolve, reject) => {
      const child = spawn("npm", ["run", "bench", "--", "--quick"], {
        env: { ...process.env, DATABASE_URL: admin },
        stdio: ["ignore", "inherit", "inherit"],
      });
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench exited with ${code}`))));
    });
  } else {
    say(`applying operations through the ledger core for ${flags.seconds} s`);
    let lastSaid = 0;
    operations = await applyLoad(db, {
      concurrency: 4,
      batchSize: 500,
      users: 50_000,
      stop: () => Date.now() - started > flags.seconds * 1000,
      onBatch: (applied) => {
        if (Date.now() - lastSaid > 10_000) {
          lastSaid = Date.now();
          say(
            `${applied.toLocaleString("en-US")} operations, ${Math.round((Date.now() - started) / 1000)} s`,
          );
        }
      },
    });
  }
  const loadSeconds = (Date.now() - started) / 1000;
  loading = false;
  const lastWal = await currentWalFile(db);
  say(`load done after ${loadSeconds.toFixed(0)} s; waiting for ${lastWal} to be archived (archive_timeout)`);
  while (!(await isArchived(db, lastWal))) await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS * 2));
  watching = false;
  await sampler;

  const after = await readArchiverStatus(probe);
  const { rows } = await sql<{ bytes: string }>`
    SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ${startLsn}::pg_lsn)::bigint::text AS bytes
  `.execute(probe);
  await probe.destroy();
  const delays = (loadingOnly: boolean) =>
    samples
      .filter((s) => s.loading === loadingOnly && s.archivedAfterMs !== undefined)
      .map((s) => s.archivedAfterMs as number)
      .sort((a, b) => a - b);
  const pct = (values: number[], p: number) =>
    values[Math.min(values.length - 1, Math.floor((values.length * p) / 100))] ?? 0;
  const underLoad = delays(true);
  const idle = delays(false);
  const result = {
    load: flags.load,
    archiveTimeoutSeconds: flags["archive-timeout"],
    loadSeconds: Math.round(loadSeconds),
    operations,
    operationsPerSecond: Math.round(operations / loadSeconds),
    walSegmentsArchived: after.archivedCount - before.archivedCount,
    walMiBPerSecond: Number((Number(rows[0]?.bytes ?? 0) / 1024 / 1024 / loadSeconds).toFixed(1)),
    archiveFailures: after.failedCount - before.failedCount,
    samplesUnderLoad: underLoad.length,
    delayUnderLoadMs: { p50: pct(underLoad, 50), p99: pct(underLoad, 99), max: underLoad.at(-1) ?? 0 },
    delayAfterLoadMs: { max: idle.at(-1) ?? 0 },
  };
  if (flags.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      [
        `Recovery point under load (${result.load}), archive_timeout ${result.archiveTimeoutSeconds} s:`,
        `  load                 ${result.loadSeconds} s, ${result.operations.toLocaleString("en-US")} operations (${result.operationsPerSecond.toLocaleString("en-US")}/s)`,
        `  WAL                  ${result.walSegmentsArchived} segments archived, ${result.walMiBPerSecond} MiB/s written, ${result.archiveFailures} archive failures`,
        `  commit -> archived   under load: p50 ${seconds(result.delayUnderLoadMs.p50)}, p99 ${seconds(result.delayUnderLoadMs.p99)}, worst ${seconds(result.delayUnderLoadMs.max)} (${result.samplesUnderLoad} samples)`,
        `                       after the load stopped: worst ${seconds(result.delayAfterLoadMs.max)} (archive_timeout bounds it)`,
      ].join("\n"),
    );
  }
} finally {
  await primary.db.destroy();
  await primary.server.stop();
  if (!flags.keep) rmSync(dir, { recursive: true, force: true });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
