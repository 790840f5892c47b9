import { chmodSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { readRepositoryInfo, resolvePgBackRest, runPgBackRest } from "@accounts/backups";
import { createDb, createPool, type Db } from "@accounts/db";
import { type PostgresServer, startPostgres } from "@accounts/devstack";
import { createLogger } from "@accounts/runtime";
import { useTestDatabase, waitFor } from "@accounts/tests/harness";
import pg from "pg";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createMaintenanceMetrics, type MaintenanceMetrics } from "../metrics.ts";
import { archiveCheckTask } from "./archiveCheck.ts";
import { archiveMetricsPublisher } from "./archiveMetrics.ts";
import { physicalBackupTask } from "./physicalBackup.ts";

// Real pgBackRest. The backups are taken of a small PostgreSQL of this file's own (archiving into its
// own repository, retention 1 full backup), so that they are quick and never compete with the other
// test files for the harness's server; `check` and the archiver's gauges use the harness's
// PostgreSQL, which archives into a repository in the harness folder.

const database = useTestDatabase();
const log = createLogger({ service: "test", level: "silent" });
const context = { runId: 1, trigger: "schedule" as const, now: () => new Date(), log };
const harness = {
  PGBACKREST_CONFIG: inject("pgbackrestConfig"),
  PGBACKREST_STANZA: inject("pgbackrestStanza"),
};
let config: typeof harness;
let own: PostgresServer;
let db: Db;
let registry: Registry;
let metrics: MaintenanceMetrics;

beforeAll(async () => {
  const root = mkdtempSync(join(inject("harnessDir"), "physical-backups-"));
  // As root, PostgreSQL and pgBackRest run as the postgres account, which must enter this folder.
  chmodSync(root, 0o755);
  own = await startPostgres({
    dataDir: join(root, "pg"),
    archiving: { stanza: "accounts", retentionFull: 1 },
    settings: { fsync: "off" },
    quiet: true,
  });
  config = { PGBACKREST_CONFIG: own.archive?.configFile ?? "", PGBACKREST_STANZA: "accounts" };
  db = createDb(createPool(database.url(), { max: 2 }));
  registry = new Registry();
  metrics = createMaintenanceMetrics(registry);
});
afterAll(async () => {
  await db?.destroy();
  await own.stop();
});

/** The value of one series in the registry's exposition. */
async function sample(series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("physical backup tasks", () => {
  it("take full, incremental and differential backups, each recorded with its set, and expire by retention", async () => {
    const full = await physicalBackupTask("full", { config, metrics })(context);
    expect(full.ok).toBe(true);
    expect(full.details).toMatchObject({ type: "full", requestedType: "full", prior: null, expired: [] });
    const fullLabel = full.details.label as string;
    expect(fullLabel).toMatch(/^\d{8}-\d{6}F$/);
    expect(full.details.databaseBytes).toBeGreaterThan(1_000_000);
    // Something to back up incrementally.
    await new pg.Client({ connectionString: own.url }).connect().then(async (client) => {
      await client.query("CREATE TABLE changed AS SELECT generate_series(1, 10000) AS n");
      await client.end();
    });

    const incr = await physicalBackupTask("incr", { config, metrics })(context);
    expect(incr.details).toMatchObject({ type: "incr", prior: fullLabel });
    // An incremental stores only what changed: far less than the full copy.
    expect(incr.details.repositoryBytes as number).toBeLessThan(full.details.repositoryBytes as number);
    const diff = await physicalBackupTask("diff", { config, metrics })(context);
    expect(diff.details).toMatchObject({ type: "diff", prior: fullLabel });
    expect(await sample('accounts_physical_backup_timestamp_seconds{type="diff"}')).toBe(
      Date.parse(diff.details.stoppedAt as string) / 1000,
    );

    // Retention keeps 1 full backup: the next full expires the first with everything built on it.
    const second = await physicalBackupTask("full", { config, metrics })(context);
    expect((second.details.expired as string[]).sort()).toEqual(
      [fullLabel, incr.details.label as string, diff.details.label as string].sort(),
    );
    const info = await readRepositoryInfo(
      resolvePgBackRest({ configFile: config.PGBACKREST_CONFIG, stanza: config.PGBACKREST_STANZA }),
    );
    expect(info.backups.map((backup) => backup.label)).toEqual([second.details.label]);
  }, 120_000);

  it("skips a backup while another one holds the repository's lock, and says so", async () => {
    const pgbr = resolvePgBackRest({
      configFile: config.PGBACKREST_CONFIG,
      stanza: config.PGBACKREST_STANZA,
    });
    const running = physicalBackupTask("full", { config, metrics })(context);
    // pgbackrest info reports the lock once the full backup holds it.
    await waitFor(
      async () => {
        const { stdout } = await runPgBackRest(pgbr, "info", ["--output=json"]);
        return (JSON.parse(stdout) as [{ status: { lock: { backup: { held: boolean } } } }])[0].status.lock
          .backup.held;
      },
      { timeoutMs: 60_000, intervalMs: 20, message: "the full backup holding the lock" },
    );
    const skipped = await physicalBackupTask("incr", { config, metrics })(context);
    expect(skipped).toEqual({
      ok: true,
      details: expect.objectContaining({
        skipped: expect.stringMatching(/holds stanza accounts's backup lock/),
      }),
    });
    expect((await running).details.type).toBe("full");
  }, 180_000);

  it("fails a run when the backup cannot be made, with pgBackRest's reason", async () => {
    const task = physicalBackupTask("incr", {
      config: { ...config, PGBACKREST_STANZA: "no_such_stanza" },
      metrics,
    });
    await expect(task(context)).rejects.toThrow(/pgbackrest (info|backup) failed|missing stanza/);
  });
});

describe("archive-check task", () => {
  it("proves a WAL segment reaches the repository (the harness's PostgreSQL archives too)", async () => {
    const outcome = await archiveCheckTask({ config: harness })(context);
    expect(outcome).toEqual({
      ok: true,
      details: expect.objectContaining({
        stanza: "accounts",
        walSegment: expect.stringMatching(/^[0-9A-F]{24}$/),
      }),
    });
  }, 120_000);

  it("fails when the repository does not hold the stanza", async () => {
    await expect(
      archiveCheckTask({ config: { ...harness, PGBACKREST_STANZA: "no_such_stanza" } })(context),
    ).rejects.toThrow(/pgbackrest check failed/);
  }, 120_000);

  it("fails naming PGBACKREST_CONFIG when the configuration file is missing", async () => {
    await expect(
      archiveCheckTask({ config: { ...harness, PGBACKREST_CONFIG: "/nonexistent/pgbackrest.conf" } })(
        context,
      ),
    ).rejects.toThrow(/set PGBACKREST_CONFIG/);
  });
});

describe("point-in-time recovery metrics", () => {
  it("publish the archiver's state and the newest backup of each type", async () => {
    await archiveCheckTask({ config: harness })(context);
    await archiveMetricsPublisher({ db, metrics, config, log })();
    expect(await sample("accounts_wal_archiving_enabled")).toBe(1);
    expect(await sample("accounts_wal_archive_archived_count")).toBeGreaterThan(0);
    expect(await sample("accounts_wal_archive_last_success_timestamp_seconds")).toBeGreaterThan(
      Date.now() / 1000 - 600,
    );
    expect(await sample("accounts_wal_archive_failed_count")).toBe(0);
    expect(await sample("accounts_wal_archive_pending_segments")).toBeGreaterThanOrEqual(0);
    const info = await readRepositoryInfo(
      resolvePgBackRest({ configFile: config.PGBACKREST_CONFIG, stanza: config.PGBACKREST_STANZA }),
    );
    const newestFull = info.backups.filter((backup) => backup.type === "full").at(-1);
    expect(await sample('accounts_physical_backup_timestamp_seconds{type="full"}')).toBe(
      (newestFull?.stoppedAt.getTime() ?? 0) / 1000,
    );
  }, 120_000);
});
