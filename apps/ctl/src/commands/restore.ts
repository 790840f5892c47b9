import { isAbsolute, resolve } from "node:path";
import { databaseNameOf, type RestoreResult, resolvePgTools, restoreBackup } from "@accounts/backups";
import { createDb, createPool, insertAuditEvents } from "@accounts/db";
import { databaseUrl } from "@accounts/devstack";
import { type Command, type CommandContext, EXIT, parseCommandLine, UsageError } from "../command.ts";
import { loadCtlBackupConfig } from "../config.ts";
import { operatorHost, operatorName } from "../operator.ts";
import { formatTable } from "../table.ts";
import { POINT_IN_TIME_HELP, runPointInTimeRestore } from "./restoreToTime.ts";

const HELP = `Usage: npm run ctl -- restore FILE [--database NAME] [--force] [--no-acl] [--json]
       npm run ctl -- restore --to TIME|latest [...]   (point in time: see below)

Logical restore of a pg_dump file made by the scheduler or by "npm run ctl -- backup":

  1. checks FILE against FILE.sha256 and reads it with pg_restore --list: a damaged or altered
     file is refused and nothing changes;
  2. refuses a target database that holds anything, unless --force;
  3. restores (pg_restore --no-owner --exit-on-error --single-transaction) into a new database
     NAME_restoring, and only when that succeeded drops NAME (ending its sessions) and renames
     the new one to NAME;
  4. prints the row count of each table.

Stop the API, workers and scheduler before restoring over the live database.

  --database NAME   database to restore into (default RESTORE_DATABASE, else the one of DATABASE_URL)
  --force           replace the target database even though it holds data
  --no-acl          skip GRANTs (a server without the accounts_app / accounts_readonly roles)
  --json            print the result as one JSON object

The server is the one of DATABASE_URL; its user must be allowed to create databases. CREATE and
DROP DATABASE run from RESTORE_ADMIN_DATABASE (default postgres).

${POINT_IN_TIME_HELP}`;

/** `restore FILE`: verified restore into a database, all or nothing. */
export const restoreCommand: Command = {
  name: "restore",
  summary: "restore a backup file (checksum verified first), or --to a point in time",
  help: HELP,
  async run(args, context) {
    if (args.includes("--help") || args.includes("-h")) {
      context.io.out(HELP);
      return EXIT.ok;
    }
    if (args.some((arg) => arg === "--to" || arg.startsWith("--to="))) {
      return runPointInTimeRestore(args, context);
    }
    const { values, positionals } = parseCommandLine(
      "restore",
      args,
      {
        database: { type: "string" },
        force: { type: "boolean" },
        "no-acl": { type: "boolean" },
        json: { type: "boolean" },
      },
      true,
    );
    const [file, ...extra] = positionals;
    if (file === undefined) {
      throw new UsageError(
        "which backup? give the path of a .dump file (logical restore), or --to TIME|latest to restore " +
          "the database as it was at a point in time (e.g. --to 2026-12-02T10:14:59Z)",
        "restore",
      );
    }
    if (extra.length > 0) throw new UsageError("give exactly one backup file", "restore");
    return restore(
      {
        file: isAbsolute(file) ? file : resolve(file),
        database: values.database,
        force: values.force === true,
        noAcl: values["no-acl"] === true,
        json: values.json === true,
      },
      context,
    );
  },
};

interface RestoreArgs {
  file: string;
  database: string | undefined;
  force: boolean;
  noAcl: boolean;
  json: boolean;
}

async function restore(args: RestoreArgs, { io, env }: CommandContext): Promise<number> {
  const config = loadCtlBackupConfig(env);
  const target = args.database ?? config.RESTORE_DATABASE ?? databaseNameOf(config.DATABASE_URL);
  const result = await restoreBackup({
    file: args.file,
    serverUrl: config.DATABASE_URL,
    adminDatabase: config.RESTORE_ADMIN_DATABASE,
    target,
    force: args.force,
    noAcl: args.noAcl,
    tools: resolvePgTools(config.PG_BIN_DIR),
    onStep: (line) => io.err(`restore: ${line}`),
  });
  await audit(config.DATABASE_URL, args.file, result);
  if (args.json) io.out(JSON.stringify(result));
  else io.out(describe(args.file, result));
  return EXIT.ok;
}

/** The restore is recorded in the restored database's own audit log, where it now matters. */
async function audit(serverUrl: string, file: string, result: RestoreResult): Promise<void> {
  const db = createDb(
    createPool(databaseUrl(serverUrl, result.database), { max: 1, applicationName: "accounts-ctl" }),
  );
  try {
    await insertAuditEvents(db, [
      {
        event: "maintenance.restore",
        actor: operatorName(),
        details: { file, sha256: result.sha256, replaced: result.replaced, host: operatorHost(), via: "ctl" },
      },
    ]);
  } finally {
    await db.destroy();
  }
}

function describe(file: string, result: RestoreResult): string {
  return [
    `Restored ${file}`,
    `into database ${result.database}${result.replaced ? " (replacing what it held)" : ""} ` +
      `in ${(result.durationMs / 1000).toFixed(1)} s (pg_restore ${(result.restoreMs / 1000).toFixed(1)} s).`,
    "",
    formatTable(
      ["TABLE", "ROWS"],
      Object.entries(result.counts).map(([table, rows]) => [table, String(rows)]),
    ),
    "",
    ...(result.closedRuns > 0
      ? [`${result.closedRuns} maintenance run(s) in progress at backup time were closed as failed.`]
      : []),
    "Next: start the apps and run the reconcile task (POST /v1/admin/maintenance/reconcile), which",
    "checks every balance against its ledger entries.",
  ].join("\n");
}
