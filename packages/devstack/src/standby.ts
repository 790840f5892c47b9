import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { withAdmin } from "./databases.ts";
import { type PostgresServer, startPostgres } from "./postgres.ts";
import { logTail, spawnServer } from "./server-process.ts";
import { handOver, postgresRunAs } from "./system-account.ts";

export interface StandbyOptions {
  /** The server to replicate from (started by {@link startPostgres}). */
  primary: Pick<PostgresServer, "url" | "port" | "binaries">;
  /** Folder of the standby's cluster: cloned from the primary when empty, reused when it holds one. */
  dataDir: string;
  /**
   * Its name: the replication slot on the primary (kept even while the standby is down, so the WAL
   * it still needs is not removed) and the `application_name` it reports, which
   * `synchronous_standby_names` refers to. Lower case letters, digits and `_`.
   */
  name: string;
  port?: number;
  /** Extra server settings (`-c name=value`), e.g. `{ recovery_min_apply_delay: "500ms" }`. */
  settings?: Record<string, string>;
  logFile?: string;
  quiet?: boolean;
  startTimeoutMs?: number;
}

/** A streaming standby: a {@link PostgresServer} in recovery, and how to make it the primary. */
export interface StandbyServer extends PostgresServer {
  readonly name: string;
  /** `pg_promote()`: ends recovery and waits until it accepts writes. */
  promote(): Promise<void>;
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Starts a streaming standby of `primary`: the first time, `pg_basebackup -R -X stream -S <name>`
 * clones the primary (creating the slot) and writes `standby.signal` and `primary_conninfo`; the
 * server then runs as the same account as the primary (see system-account.ts), streams the WAL
 * and answers read-only queries. The primary's pg_hba (initdb's defaults, trust) admits replication
 * connections from 127.0.0.1.
 *
 * @example
 * const primary = await startPostgres({ dataDir: "/tmp/pg" });
 * const standby = await startStandby({ primary, dataDir: "/tmp/pg-standby1", name: "standby1" });
 * await makeSynchronous(primary.url, ["standby1"]); // commits now wait for standby1's flush
 * await primary.kill(); await standby.promote();
 */
export async function startStandby(options: StandbyOptions): Promise<StandbyServer> {
  if (!NAME.test(options.name)) throw new Error(`standby name ${options.name} must match ${NAME}`);
  const dataDir = resolve(options.dataDir);
  const logFile = resolve(options.logFile ?? `${dataDir}.log`);
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    await cloneFromPrimary(options, dataDir, logFile);
  }
  const inherited = await settingsAStandbyNeeds(options.primary.url);
  const server = await startPostgres({
    dataDir,
    logFile,
    binaries: options.primary.binaries,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    // The walreceiver reports cluster_name as its application_name (primary_conninfo names none).
    settings: { ...inherited, cluster_name: options.name, hot_standby: "on", ...options.settings },
  });
  return Object.assign(server, {
    name: options.name,
    promote: () => promote(server.url),
  });
}

/** Settings a hot standby refuses to run with lower than its primary's ("insufficient parameter settings"). */
const AT_LEAST_THE_PRIMARYS = [
  "max_connections",
  "max_worker_processes",
  "max_wal_senders",
  "max_prepared_transactions",
  "max_locks_per_transaction",
];

async function settingsAStandbyNeeds(primaryUrl: string): Promise<Record<string, string>> {
  const { rows } = await withAdmin(primaryUrl, (client) =>
    client.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name = ANY($1)",
      [AT_LEAST_THE_PRIMARYS],
    ),
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
}

async function cloneFromPrimary(options: StandbyOptions, dataDir: string, logFile: string): Promise<void> {
  const runAs = postgresRunAs();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} is neither empty nor a PostgreSQL cluster; refusing to clone into it`);
  }
  if (runAs) handOver(dataDir, runAs);
  await dropSlot(options.primary.url, options.name);
  const pgBasebackup = join(dirname(options.primary.binaries.postgres), "pg_basebackup");
  const args = [
    "-h",
    "127.0.0.1",
    "-p",
    String(options.primary.port),
    "-U",
    "postgres",
    "-D",
    dataDir,
    "-R",
    "-X",
    "stream",
    "-C",
    "-S",
    options.name,
    "--checkpoint=fast",
    "--no-password",
  ];
  const run = spawnServer({ command: pgBasebackup, args, cwd: dataDir, logFile, runAs });
  const { code, signal } = await run.exited;
  if (code !== 0) {
    throw new Error(
      `pg_basebackup failed (code ${code}, signal ${signal}). Last lines of ${logFile}:\n${logTail(logFile)}`,
    );
  }
}

/** A slot left by an earlier standby of the same name would hold WAL forever and make -C fail. */
async function dropSlot(primaryUrl: string, name: string): Promise<void> {
  await withAdmin(primaryUrl, (client) =>
    client.query(
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active",
      [name],
    ),
  );
}

/**
 * Sets `synchronous_standby_names` on the primary to `ANY 1 (names)` (empty: asynchronous), reloads
 * it, and (with names) waits until one of them is reported `quorum`. With `synchronous_commit = on`
 * (the default) a commit then returns only once one of them has flushed its WAL.
 */
export async function setSynchronousStandbys(
  primaryUrl: string,
  names: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  for (const name of names) if (!NAME.test(name)) throw new Error(`bad standby name ${name}`);
  const value = names.length > 0 ? `ANY 1 (${names.join(", ")})` : "";
  await withAdmin(primaryUrl, async (client) => {
    await client.query(`ALTER SYSTEM SET synchronous_standby_names = '${value}'`);
    await client.query("SELECT pg_reload_conf()");
  });
  const deadline = Date.now() + timeoutMs;
  while (names.length > 0) {
    const { rows } = await withAdmin(primaryUrl, (client) =>
      client.query(
        "SELECT 1 FROM pg_stat_replication WHERE application_name = ANY($1) AND sync_state IN ('sync', 'quorum')",
        [names],
      ),
    );
    if (rows.length > 0) return;
    if (Date.now() > deadline)
      throw new Error(`none of ${names.join(", ")} became synchronous in ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * Waits until `standbyName` streams from the primary at `primaryUrl` (and, when the primary names it
 * in synchronous_standby_names, until it is `sync`/`quorum`).
 */
export async function waitForStreaming(
  primaryUrl: string,
  standbyName: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await withAdmin(primaryUrl, (client) =>
      client.query<{ state: string; sync_state: string }>(
        "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = $1",
        [standbyName],
      ),
    ).catch(() => undefined);
    if (state?.rows.some((row) => row.state === "streaming")) return;
    if (Date.now() > deadline)
      throw new Error(`standby ${standbyName} does not stream after ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function promote(url: string): Promise<void> {
  await withAdmin(url, async (client) => {
    const { rows } = await client.query<{ done: boolean }>("SELECT pg_promote(true, 60) AS done");
    if (!rows[0]?.done) throw new Error("pg_promote() did not finish within 60 s");
  });
}
