import { createBackup, type PgTools, resolvePgTools } from "@accounts/backups";
import type { SchedulerConfig } from "../config.ts";
import type { MaintenanceMetrics } from "../metrics.ts";
import type { TaskRunner } from "./task.ts";

/** Upload output kept in a run's details (the log has all of it). */
const DETAILS_OUTPUT_CHARS = 2000;

export interface BackupTaskDeps {
  config: Pick<
    SchedulerConfig,
    | "DATABASE_URL"
    | "BACKUP_DIR"
    | "BACKUP_KEEP_COUNT"
    | "BACKUP_KEEP_DAYS"
    | "BACKUP_UPLOAD_COMMAND"
    | "BACKUP_UPLOAD_TIMEOUT_SECONDS"
    | "PG_BIN_DIR"
  >;
  metrics: MaintenanceMetrics;
  /** pg_dump and pg_restore; located on first use when omitted (a missing one fails the run, not the start). */
  tools?: PgTools;
}

/**
 * `backup`: one verified, checksummed pg_dump into BACKUP_DIR, retention, and the upload command.
 * The run fails when any of it fails, the upload included (the file stays: it is a good backup, but
 * it is not off-site, which is worth an alert).
 */
export function backupTask(deps: BackupTaskDeps): TaskRunner {
  let tools = deps.tools;
  return async ({ now, log }) => {
    tools ??= resolvePgTools(deps.config.PG_BIN_DIR);
    const result = await createBackup({
      databaseUrl: deps.config.DATABASE_URL,
      dir: deps.config.BACKUP_DIR,
      tools,
      keepCount: deps.config.BACKUP_KEEP_COUNT,
      keepDays: deps.config.BACKUP_KEEP_DAYS,
      uploadCommand: deps.config.BACKUP_UPLOAD_COMMAND,
      uploadTimeoutMs: deps.config.BACKUP_UPLOAD_TIMEOUT_SECONDS * 1000,
      now,
    });
    const { upload, ...backup } = result;
    if (upload) {
      const line = {
        file: result.name,
        exitCode: upload.exitCode,
        ms: upload.durationMs,
        output: upload.output,
      };
      if (upload.ok) log.info(line, "backup uploaded");
      else log.error(line, "backup upload command failed");
    }
    const ok = upload?.ok ?? true;
    if (ok) deps.metrics.backupSizeBytes.set(result.sizeBytes);
    return {
      ok,
      details: {
        ...backup,
        ...(upload
          ? { upload: { ...upload, output: upload.output.slice(-DETAILS_OUTPUT_CHARS) } }
          : { upload: "not configured" }),
        ...(ok ? {} : { error: `the upload command failed (exit code ${upload?.exitCode ?? "none"})` }),
      },
    };
  };
}
