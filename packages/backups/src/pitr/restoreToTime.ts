import { rmSync } from "node:fs";
import type { Db } from "@accounts/db";
import type { PostgresBinaries, PostgresServer } from "@accounts/devstack";
import type { PgBackRest } from "../pgbackrest/pgBackRest.ts";
import { type BackupSet, type RepositoryInfo, readRepositoryInfo } from "../pgbackrest/repositoryInfo.ts";
import { chooseBackup } from "./chooseBackup.ts";
import type { RecoveryLog } from "./recoveryLog.ts";
import type { RecoveryTarget } from "./recoveryTarget.ts";
import { type ReplayProgress, replayToTarget } from "./replayToTarget.ts";
import { prepareNewDataFolder, restoreDataFolder } from "./restoreDataFolder.ts";
import { type RestoredDatabaseReport, verifyRestoredDatabase } from "./verifyRestoredDatabase.ts";

/** What a point-in-time restore is doing, for progress lines. */
export type RestoreProgress =
  | { kind: "repository"; info: RepositoryInfo }
  | { kind: "backup"; backup: BackupSet; dataDir: string }
  | { kind: "restoring"; percent: number }
  | { kind: "restored"; durationMs: number }
  | { kind: "replaying"; progress: ReplayProgress }
  | { kind: "promoted"; log: RecoveryLog; port: number }
  | { kind: "verifying"; database: string }
  | { kind: "stopping" };

export interface PointInTimeRestoreOptions {
  pgbackrest: PgBackRest;
  target: RecoveryTarget;
  /** A new (absent or empty) folder for the restored cluster. */
  dataDir: string;
  /** Port of the restored server's socket; a free one when omitted. */
  port?: number;
  /** The accounts database in the cluster, whose ledger is checked. */
  database: string;
  binaries?: PostgresBinaries;
  /** Leave the restored server running (the caller stops it). Default: stopped once verified. */
  keepRunning?: boolean;
  onProgress?: (event: RestoreProgress) => void;
  /** Runs against the restored database before it is stopped (an audit row, say). */
  record?: (db: Db) => Promise<void>;
  now?: () => Date;
}

export interface PointInTimeRestoreResult extends RestoredDatabaseReport {
  backup: BackupSet;
  dataDir: string;
  logFile: string;
  port: number;
  /** Where replay stopped and the last transaction it replayed, in PostgreSQL's words. */
  recovery: RecoveryLog;
  restoreMs: number;
  replayMs: number;
  totalMs: number;
  /** The restored server, still running (only with `keepRunning`). */
  server?: PostgresServer;
}

/**
 * Restores the cluster as it was at `target` (or with everything archived, for `latest`) into a NEW
 * data folder, never over an existing one:
 *
 * 1. `pgbackrest info`: the backup to start from is the newest that ended before the target;
 * 2. `pgbackrest restore` of that backup into the empty folder, with `recovery_target_time` (or none),
 *    `recovery_target_action = promote` and archiving off;
 * 3. PostgreSQL started on it (socket only), replaying the archived WAL to the target, then promoting
 *    itself onto a new timeline;
 * 4. the accounts database checked: the ledger invariants (the reconcile checks) and the last
 *    operation applied before the target;
 * 5. the server stopped cleanly (unless `keepRunning`): the folder is ready to be started as a primary.
 *
 * @example
 * const result = await restoreToTime({ pgbackrest: pgbr, target: parseRecoveryTarget("2026-12-02T10:14:59Z"),
 *   dataDir: "/srv/restores/accounts-20261202T101459Z", database: "accounts" });
 * result.invariants.ok; result.lastOperation?.id; result.recovery.stoppedAt
 * @throws NoBackupForTargetError, RestoreRefusedError (folder not empty), RecoveryFailedError, ProgramFailedError
 */
export async function restoreToTime(options: PointInTimeRestoreOptions): Promise<PointInTimeRestoreResult> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const info = await readRepositoryInfo(options.pgbackrest);
  progress({ kind: "repository", info });
  const backup = chooseBackup(info, options.target, (options.now ?? (() => new Date()))());
  prepareNewDataFolder(options.dataDir, options.pgbackrest.runAs);
  progress({ kind: "backup", backup, dataDir: options.dataDir });
  let restored: { durationMs: number };
  let replay: Awaited<ReturnType<typeof replayToTarget>>;
  try {
    restored = await restoreDataFolder(options.pgbackrest, {
      backup,
      target: options.target,
      dataDir: options.dataDir,
      onPercent: (percent) => progress({ kind: "restoring", percent }),
    });
    progress({ kind: "restored", durationMs: restored.durationMs });
    replay = await replayToTarget({
      dataDir: options.dataDir,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.binaries ? { binaries: options.binaries } : {}),
      onProgress: (replaying) => progress({ kind: "replaying", progress: replaying }),
    });
  } catch (error) {
    // The folder was empty or absent before: what a failed restore left in it is of no use, and would
    // make the next attempt into the same folder refuse. PostgreSQL's log (<folder>.log) stays.
    rmSync(options.dataDir, { recursive: true, force: true });
    throw error;
  }
  const { server } = replay;
  try {
    progress({ kind: "promoted", log: replay.log, port: server.port });
    progress({ kind: "verifying", database: options.database });
    const report = await verifyRestoredDatabase(server.url, options.database, options.record);
    if (!options.keepRunning) {
      progress({ kind: "stopping" });
      await server.stop();
    }
    return {
      ...report,
      backup,
      dataDir: options.dataDir,
      logFile: server.logFile,
      port: server.port,
      recovery: replay.log,
      restoreMs: restored.durationMs,
      replayMs: replay.durationMs,
      totalMs: Math.round(performance.now() - started),
      ...(options.keepRunning ? { server } : {}),
    };
  } catch (error) {
    await server.stop().catch(() => {});
    throw error;
  }
}
