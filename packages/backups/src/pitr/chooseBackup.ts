import type { BackupSet, RepositoryInfo } from "../pgbackrest/repositoryInfo.ts";
import type { RecoveryTarget } from "./recoveryTarget.ts";

/** The repository cannot restore to that target; nothing was changed. */
export class NoBackupForTargetError extends Error {
  override readonly name = "NoBackupForTargetError";
}

/**
 * The backup a restore to `target` starts from: the newest one that ended before the target (it is
 * consistent only from its end on), so that the least WAL is replayed. pgBackRest reports backup
 * times to the second, so a backup that ended in the target's own second does not count.
 *
 * @example
 * chooseBackup(info, parseRecoveryTarget("2026-12-02T10:14:59Z"), new Date())
 * // { label: "20261202-010000F_20261202-100000I", type: "incr", stoppedAt: 2026-12-02T10:00:07Z, ... }
 * @throws NoBackupForTargetError "... the earliest time this repository can restore to is ..."
 */
export function chooseBackup(info: RepositoryInfo, target: RecoveryTarget, now: Date): BackupSet {
  if (info.backups.length === 0) {
    throw new NoBackupForTargetError(
      `the repository of stanza ${info.stanza} holds no backup (${info.status.message}): a point-in-time restore ` +
        "starts from one. Take a full backup (POST /v1/admin/maintenance/backup-full, or wait for SCHEDULE_BACKUP_FULL)",
    );
  }
  const newest = info.backups.at(-1) as BackupSet;
  if (target.kind === "latest") return newest;
  if (target.at.getTime() > now.getTime()) {
    throw new NoBackupForTargetError(
      `${target.utc} is in the future (now is ${now.toISOString()}): to get everything archived, restore --to latest`,
    );
  }
  const usable = info.backups.filter((backup) => backup.stoppedAt.getTime() + 1000 <= target.at.getTime());
  const chosen = usable.at(-1);
  if (!chosen) {
    const earliest = new Date((info.backups[0] as BackupSet).stoppedAt.getTime() + 1000);
    throw new NoBackupForTargetError(
      `no backup ends before ${target.utc}: the earliest time this repository can restore to is ` +
        `${earliest.toISOString()} (its oldest backup, ${(info.backups[0] as BackupSet).label}, ends then; ` +
        "older ones were expired by the retention settings)",
    );
  }
  return chosen;
}
