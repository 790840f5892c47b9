// @accounts/backups: backups of the accounts database and their restore, shared by the
// scheduler (scheduled and operator-requested backups) and the operator command (ctl backup/restore).
export { type ArchiveListing, listArchive } from "./archive.ts";
export { type BackupFile, backupFileName, backupTimeOf, listBackups } from "./backupFiles.ts";
export { sha256OfFile, verifyChecksum, writeChecksumFile } from "./checksum.ts";
export { type BackupEnv, backupEnv } from "./config.ts";
export { type BackupOptions, type BackupResult, createBackup } from "./createBackup.ts";
export { BackupVerificationError, ProgramFailedError, RestoreRefusedError } from "./errors.ts";
export { databaseNameOf, type PgConnection, type PgTools, pgConnection, resolvePgTools } from "./pgTools.ts";
export { type RestoreOptions, type RestoreResult, restoreBackup } from "./restoreBackup.ts";
export { applyRetention, expiredBackups, type RetentionPolicy } from "./retention.ts";
export { runUploadCommand, type UploadResult } from "./upload.ts";
