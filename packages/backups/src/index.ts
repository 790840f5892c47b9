// @accounts/backups: backups of the accounts database and their restore, shared by the scheduler
// (scheduled and operator-requested backups) and the operator command (ctl backup / restore):
// logical pg_dump exports, and pgBackRest's physical backups with continuous WAL archiving and the
// point-in-time restore built on them.
export { type ArchiveListing, listArchive } from "./archive.ts";
export { type BackupFile, backupFileName, backupTimeOf, listBackups } from "./backupFiles.ts";
export { sha256OfFile, verifyChecksum, writeChecksumFile } from "./checksum.ts";
export { type BackupEnv, backupEnv, type PgBackRestEnv, pgbackrestEnv } from "./config.ts";
export { type BackupOptions, type BackupResult, createBackup } from "./createBackup.ts";
export { BackupVerificationError, ProgramFailedError, RestoreRefusedError } from "./errors.ts";
export { type ArchiveBacklog, archiveBacklogOf, walSegmentOf } from "./pgbackrest/archiveBacklog.ts";
export {
  LOCK_HELD_EXIT_CODE,
  type PgBackRest,
  type RunPgBackRestOptions,
  resolvePgBackRest,
  runPgBackRest,
} from "./pgbackrest/pgBackRest.ts";
export {
  BACKUP_TYPES,
  type BackupSet,
  type BackupType,
  newestBackupTimes,
  parseRepositoryInfo,
  type RepositoryInfo,
  readRepositoryInfo,
} from "./pgbackrest/repositoryInfo.ts";
export {
  checkArchiving,
  type PhysicalBackupResult,
  RepositoryBusyError,
  takePhysicalBackup,
} from "./pgbackrest/takePhysicalBackup.ts";
export { databaseNameOf, type PgConnection, type PgTools, pgConnection, resolvePgTools } from "./pgTools.ts";
export { chooseBackup, NoBackupForTargetError } from "./pitr/chooseBackup.ts";
export { parseRecoveryLog, type RecoveryLog } from "./pitr/recoveryLog.ts";
export {
  describeTarget,
  parseRecoveryTarget,
  type RecoveryTarget,
  RecoveryTargetError,
} from "./pitr/recoveryTarget.ts";
export { RecoveryFailedError, type ReplayProgress } from "./pitr/replayToTarget.ts";
export {
  type PointInTimeRestoreOptions,
  type PointInTimeRestoreResult,
  type RestoreProgress,
  restoreToTime,
} from "./pitr/restoreToTime.ts";
export type { RestoredDatabaseReport } from "./pitr/verifyRestoredDatabase.ts";
export { type RestoreOptions, type RestoreResult, restoreBackup } from "./restoreBackup.ts";
export { applyRetention, expiredBackups, type RetentionPolicy } from "./retention.ts";
export { runUploadCommand, type UploadResult } from "./upload.ts";
