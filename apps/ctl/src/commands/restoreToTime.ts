import { isAbsolute, resolve } from "node:path";
import {
  databaseNameOf,
  describeTarget,
  type PointInTimeRestoreResult,
  parseRecoveryTarget,
  type RecoveryTarget,
  RecoveryTargetError,
  type RestoreProgress,
  resolvePgBackRest,
  restoreToTime,
} from "@accounts/backups";
import { insertAuditEvents } from "@accounts/db";
import { databaseUrl, findPostgresBinaries } from "@accounts/devstack";
import { formatBytes } from "../bytes.ts";
import { type CommandContext, EXIT, parseCommandLine, UsageError } from "../command.ts";
import { loadCtlPointInTimeConfig } from "../config.ts";
import { operatorHost, operatorName } from "../operator.ts";
import { formatTable } from "../table.ts";

export const POINT_IN_TIME_HELP = `Usage: npm run ctl -- restore --to TIME|latest [--data-dir DIR] [--port N] [--database NAME]
                                 [--keep-running] [--json]

Point-in-time restore from the pgBackRest repository (physical backups and the WAL archive):

  1. picks the newest backup that ended before TIME (for latest: the newest backup);
  2. restores it into a NEW data folder (DIR must be absent or empty: never over a data folder,
     least of all a running primary's), with archiving off in the copy;
  3. starts PostgreSQL on it (Unix socket only, port N or a free one), replays the archived WAL up
     to TIME (latest: to the end of the archive) and promotes it;
  4. checks the ledger invariants of database NAME (the reconcile checks) and prints the last
     operation applied before TIME;
  5. stops it cleanly: the folder is ready to be started as the new primary (or inspected with
     --keep-running).

TIME is RFC 3339 with its offset: 2026-12-02T10:14:59Z, 2026-12-02T11:14:59.250+01:00. Every
transaction committed at or before TIME is kept, none after it.

  --to TIME|latest   the recovery target
  --data-dir DIR     the new data folder (default .data/restores/<target>-restored-<now>)
  --port N           port of the restored server's socket (default: a free one)
  --database NAME    the ledger's database in the cluster (default RESTORE_DATABASE, else the
                     database of DATABASE_URL, else accounts)
  --keep-running     leave the restored server running until Ctrl-C, to query it with psql
  --json             print the result as one JSON object

Reads PGBACKREST_CONFIG (default .data/pgbackrest/pgbackrest.conf, the local stack's repository),
PGBACKREST_STANZA (default accounts) and PG_BIN_DIR. As root, pgBackRest and PostgreSQL run as the
postgres account, which must be able to enter DIR's parent folders.
The logical restore of a pg_dump file is "npm run ctl -- restore FILE".`;

/** `restore --to TIME|latest`: the point-in-time restore. */
export async function runPointInTimeRestore(args: string[], context: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandLine(
    "restore",
    args,
    {
      to: { type: "string" },
      "data-dir": { type: "string" },
      port: { type: "string" },
      database: { type: "string" },
      "keep-running": { type: "boolean" },
      json: { type: "boolean" },
    },
    true,
  );
  if (positionals.length > 0) {
    throw new UsageError(
      `give either a backup FILE (logical restore) or --to TIME|latest (point in time), not both (got ${positionals.join(" ")})`,
      "restore",
    );
  }
  if (!values.to) throw new UsageError("--to needs a time (2026-12-02T10:14:59Z) or latest", "restore");
  let target: RecoveryTarget;
  try {
    target = parseRecoveryTarget(values.to);
  } catch (error) {
    if (error instanceof RecoveryTargetError) throw new UsageError(`--to: ${error.message}`, "restore");
    throw error;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 1024 && port < 65_536)) {
    throw new UsageError(`--port must be a port number above 1024 (got ${values.port})`, "restore");
  }
  const { io, env } = context;
  const config = loadCtlPointInTimeConfig(env);
  const database =
    values.database ??
    config.RESTORE_DATABASE ??
    (config.DATABASE_URL ? databaseNameOf(config.DATABASE_URL) : "accounts");
  const dataDir = resolve(values["data-dir"] ?? defaultDataDir(target));
  const pgbackrest = resolvePgBackRest({
    configFile: isAbsolute(config.PGBACKREST_CONFIG)
      ? config.PGBACKREST_CONFIG
      : resolve(config.PGBACKREST_CONFIG),
    stanza: config.PGBACKREST_STANZA,
  });
  io.err(
    `restore: target ${describeTarget(target)}${target.kind === "time" ? ` (recovery_target_time '${target.postgres}')` : ""}`,
  );
  const result = await restoreToTime({
    pgbackrest,
    target,
    dataDir,
    database,
    ...(port === undefined ? {} : { port }),
    ...(config.PG_BIN_DIR ? { binaries: findPostgresBinaries({ pathEnv: config.PG_BIN_DIR }) } : {}),
    keepRunning: values["keep-running"] === true,
    onProgress: (event) => {
      const line = progressLine(event);
      if (line) io.err(`restore: ${line}`);
    },
    record: async (db) => {
      await insertAuditEvents(db, [
        {
          event: "maintenance.restore",
          actor: operatorName(),
          details: {
            kind: "point-in-time",
            target: target.kind === "latest" ? "latest" : target.utc,
            stanza: pgbackrest.stanza,
            dataDir,
            host: operatorHost(),
            via: "ctl",
          },
        },
      ]);
    },
  });
  if (values.json)
    io.out(
      JSON.stringify({ target: target.kind === "latest" ? "latest" : target.utc, ...withoutServer(result) }),
    );
  else io.out(describe(target, database, result));
  if (!result.invariants.ok) {
    io.err(
      `restore: the restored ledger breaks its invariants (${result.invariants.violationCount}): do not serve from it; ` +
        "restore to an earlier time and escalate (docs/runbooks/maintenance.md, ReconcileMismatch)",
    );
  }
  if (result.server) {
    const server = result.server;
    io.err(`restore: PostgreSQL keeps running (pid ${server.pid}); Ctrl-C stops it`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        done();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    await server.stop();
    io.err("restore: stopped");
  }
  return result.invariants.ok ? EXIT.ok : EXIT.failed;
}

function defaultDataDir(target: RecoveryTarget): string {
  const stamp = (iso: string) => iso.replace(/[-:]/g, "").replace(/\.\d+/, "");
  const name = target.kind === "latest" ? "latest" : stamp(target.utc);
  return `.data/restores/${name}-restored-${stamp(new Date().toISOString())}`;
}

function progressLine(event: RestoreProgress): string | undefined {
  switch (event.kind) {
    case "repository": {
      const { info } = event;
      const range = info.archive
        ? `WAL archived from ${info.archive.min} to ${info.archive.max}`
        : "no WAL archived";
      const backups = info.backups.map((backup) => `${backup.label} (${backup.type})`).join(", ");
      return `repository: stanza ${info.stanza}, ${info.backups.length} backup(s) [${backups}], ${range}`;
    }
    case "backup":
      return (
        `starting from backup ${event.backup.label} (${event.backup.type}, ended ${event.backup.stoppedAt.toISOString()}, ` +
        `database ${formatBytes(event.backup.databaseBytes)}), restoring into ${event.dataDir}`
      );
    case "restoring":
      return `restoring files: ${event.percent}%`;
    case "restored":
      return `files restored in ${seconds(event.durationMs)}; starting PostgreSQL to replay the WAL`;
    case "replaying": {
      const { progress } = event;
      if (progress.segmentsRestored === 0 && !progress.replayedUpTo) return undefined;
      return (
        `replaying WAL: ${progress.segmentsRestored} segment(s) fetched from the archive` +
        (progress.lastSegment ? ` (last ${progress.lastSegment})` : "") +
        (progress.replayedUpTo ? `, replayed up to ${progress.replayedUpTo}` : "")
      );
    }
    case "promoted":
      return (
        `recovery ${event.log.stoppedAt ? `stopped ${event.log.stoppedAt}` : "reached the end of the archive"}; ` +
        `promoted${event.log.newTimeline ? ` to timeline ${event.log.newTimeline}` : ""}`
      );
    case "verifying":
      return `checking the ledger invariants of database ${event.database}`;
    case "stopping":
      return "stopping PostgreSQL (the restored folder is consistent and ready)";
  }
}

function describe(target: RecoveryTarget, database: string, result: PointInTimeRestoreResult): string {
  const last = result.lastOperation;
  const invariants = result.invariants.ok
    ? `hold (${result.invariants.accountsChecked} accounts checked)`
    : `BROKEN: ${result.invariants.violationCount} violation(s), first: ${result.invariants.violations
        .slice(0, 3)
        .map(
          (violation) =>
            `${violation.kind} ${violation.userId ?? ""}/${violation.currency} (${violation.detail})`,
        )
        .join("; ")}`;
  return [
    `Restored to ${describeTarget(target)} in ${seconds(result.totalMs)} ` +
      `(files ${seconds(result.restoreMs)}, WAL replay ${seconds(result.replayMs)}, checks ${seconds(result.verifyMs)})`,
    "",
    `  data folder     ${result.dataDir}`,
    `  backup          ${result.backup.label} (${result.backup.type}, ended ${result.backup.stoppedAt.toISOString()})`,
    `  WAL replayed    ${result.recovery.segmentsRestored} segment(s) from the archive` +
      (result.recovery.lastSegment ? `, up to ${result.recovery.lastSegment}` : ""),
    `  stopped         ${result.recovery.stoppedAt ?? "at the end of the archive"}`,
    `  last commit     ${result.recovery.lastTransactionAt ?? "none replayed"}`,
    `  timeline        ${result.recovery.newTimeline ?? "?"} (promoted)`,
    `  ledger          invariants ${invariants}`,
    last
      ? `  last operation  ${last.id} ${last.type} ${last.status}, finished ${last.finished_at.toISOString()} (client ${last.client_id})`
      : "  last operation  none: the ledger is empty at that time",
    "",
    formatTable(
      ["TABLE", "ROWS"],
      Object.entries(result.counts).map(([table, rows]) => [table, String(rows)]),
    ),
    "",
    ...(result.closedRuns > 0
      ? [`${result.closedRuns} maintenance run(s) in progress at that time were closed as failed.`]
      : []),
    result.server
      ? `Query it: psql "${databaseUrl(result.server.url, database)}"  (socket only; PostgreSQL log: ${result.logFile})`
      : `The cluster is stopped and consistent. Serve from it (as the new primary) or inspect it: docs/runbooks/backup-and-restore.md.`,
  ].join("\n");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function withoutServer(result: PointInTimeRestoreResult): Omit<PointInTimeRestoreResult, "server"> {
  const { server: _server, ...rest } = result;
  return rest;
}
