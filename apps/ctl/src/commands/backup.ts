import { resolve } from "node:path";
import { type BackupResult, createBackup, resolvePgTools } from "@accounts/backups";
import {
  createDb,
  createPool,
  type Db,
  finishMaintenanceRun,
  insertAuditEvents,
  insertMaintenanceRun,
} from "@accounts/db";
import { formatBytes } from "../bytes.ts";
import { type Command, type CommandContext, EXIT, parseCommandLine } from "../command.ts";
import { loadCtlBackupConfig } from "../config.ts";
import { operatorHost, operatorName } from "../operator.ts";

const HELP = `Usage: npm run ctl -- backup [--json]

Makes one backup now, exactly as the scheduler does: pg_dump --format=custom into BACKUP_DIR
(accounts-<UTC time>.dump), read back with pg_restore --list, SHA-256 written beside it
(<file>.sha256), retention (BACKUP_KEEP_COUNT, BACKUP_KEEP_DAYS), then BACKUP_UPLOAD_COMMAND if set.
Progress goes to standard error; the result to standard output. The run is recorded in
maintenance_runs (trigger "operator") and in the audit log.

  --json    print the result as one JSON object

Reads DATABASE_URL, BACKUP_DIR (default .data/backups), BACKUP_KEEP_COUNT, BACKUP_KEEP_DAYS,
BACKUP_UPLOAD_COMMAND, BACKUP_UPLOAD_TIMEOUT_SECONDS and PG_BIN_DIR.
Restore with: npm run ctl -- restore FILE`;

/** `backup`: one backup now, with a progress line. */
export const backupCommand: Command = {
  name: "backup",
  summary: "make a verified, checksummed backup now",
  help: HELP,
  async run(args, context) {
    if (args.includes("--help") || args.includes("-h")) {
      context.io.out(HELP);
      return EXIT.ok;
    }
    const { values } = parseCommandLine("backup", args, { json: { type: "boolean" } });
    return backup(values.json === true, context);
  },
};

async function backup(json: boolean, { io, env }: CommandContext): Promise<number> {
  const config = loadCtlBackupConfig(env);
  const tools = resolvePgTools(config.PG_BIN_DIR);
  const db = createDb(createPool(config.DATABASE_URL, { max: 1, applicationName: "accounts-ctl" }));
  try {
    const who = { via: "ctl", actor: operatorName(), host: operatorHost() };
    const runId = await insertMaintenanceRun(db, { task: "backup", trigger: "operator", details: who });
    io.err(`backup: run #${runId}, writing into ${resolve(config.BACKUP_DIR)}`);
    let result: BackupResult;
    try {
      result = await createBackup({
        databaseUrl: config.DATABASE_URL,
        dir: config.BACKUP_DIR,
        tools,
        keepCount: config.BACKUP_KEEP_COUNT,
        keepDays: config.BACKUP_KEEP_DAYS,
        uploadCommand: config.BACKUP_UPLOAD_COMMAND,
        uploadTimeoutMs: config.BACKUP_UPLOAD_TIMEOUT_SECONDS * 1000,
        onProgress: (bytes) => io.err(`backup: ${formatBytes(bytes)} written`),
      });
    } catch (error) {
      await finishMaintenanceRun(db, runId, "failed", {
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    const ok = result.upload?.ok ?? true;
    const { upload, ...backup } = result;
    await finishMaintenanceRun(db, runId, ok ? "succeeded" : "failed", {
      ...backup,
      upload: upload ?? "not configured",
      ...(ok ? {} : { error: `the upload command failed (exit code ${upload?.exitCode ?? "none"})` }),
    });
    await audit(db, runId, result);
    if (json) io.out(JSON.stringify({ runId, ok, ...result }));
    else io.out(describe(runId, result));
    if (!ok) {
      io.err(
        `backup: the upload command failed (exit code ${upload?.exitCode ?? "none"}):\n${upload?.output ?? ""}`,
      );
      return EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    await db.destroy();
  }
}

function describe(runId: number, result: BackupResult): string {
  const upload = result.upload
    ? result.upload.ok
      ? `ok (${(result.upload.durationMs / 1000).toFixed(1)} s)`
      : `FAILED (exit code ${result.upload.exitCode ?? "none"})`
    : "not configured";
  return [
    `Backup written: ${result.file}`,
    "",
    `  run          #${runId}`,
    `  size         ${formatBytes(result.sizeBytes)} (${result.sizeBytes} bytes)`,
    `  sha256       ${result.sha256}`,
    `  checksum     ${result.checksumFile}`,
    `  verified     pg_restore --list: ${result.archiveEntries} entries, ${result.tablesWithData} tables with data`,
    `  took         ${(result.durationMs / 1000).toFixed(1)} s`,
    `  retention    ${result.deleted.length === 0 ? "nothing deleted" : `deleted ${result.deleted.join(", ")}`}`,
    `  upload       ${upload}`,
    "",
    `Restore it with: npm run ctl -- restore ${result.file}`,
  ].join("\n");
}

async function audit(db: Db, runId: number, result: BackupResult): Promise<void> {
  await insertAuditEvents(db, [
    {
      event: "maintenance.backup",
      actor: operatorName(),
      details: { runId, file: result.name, sha256: result.sha256, host: operatorHost(), via: "ctl" },
    },
  ]);
}
