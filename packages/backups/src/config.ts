import { z } from "zod";

/**
 * The environment variables of backups, shared by the scheduler (scheduled and API-requested
 * backups) and the operator command (`npm run ctl -- backup`): both must write the same files to the
 * same place and keep the same number of them.
 */
export const backupEnv = {
  /** Folder of the backup files (created 0700). Use an absolute path in production. */
  BACKUP_DIR: z.string().min(1).default(".data/backups"),
  /** Backups kept at most (the newest ones). */
  BACKUP_KEEP_COUNT: z.coerce.number().int().min(1).max(100_000).default(28),
  /** Backups older than this many days are deleted (the newest one never is). */
  BACKUP_KEEP_DAYS: z.coerce.number().min(0.001).max(36_500).default(7),
  /**
   * Optional off-site copy: a shell command run after each backup with the file's path as its last
   * argument (`BACKUP_FILE` and `BACKUP_SHA256_FILE` are also in its environment); a non-zero exit
   * fails the run. Example: `/usr/local/bin/accounts-backup-upload` (a script that copies both files).
   */
  BACKUP_UPLOAD_COMMAND: z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? value.trim() : undefined)),
  /** How long the upload command may run before it is killed (and the run fails). */
  BACKUP_UPLOAD_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
  /**
   * Folder holding pg_dump and pg_restore. Unset: the PostgreSQL installation the machine has (its
   * major version must be at least the server's).
   */
  PG_BIN_DIR: z.string().min(1).optional(),
};

const backupEnvSchema = z.object(backupEnv);
export type BackupEnv = z.infer<typeof backupEnvSchema>;

/**
 * The environment variables of physical backups and point-in-time restores (pgBackRest), shared by
 * the scheduler (backups, `check`, metrics) and the operator command (`restore --to`).
 */
export const pgbackrestEnv = {
  /**
   * The pgbackrest.conf naming the repository (and, where pgBackRest runs beside PostgreSQL, the
   * cluster). Default: the one the local stack writes when it starts PostgreSQL.
   */
  PGBACKREST_CONFIG: z.string().min(1).default(".data/pgbackrest/pgbackrest.conf"),
  /** The stanza: pgBackRest's name for the cluster in its repository. */
  PGBACKREST_STANZA: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, _ and - (at most 64)")
    .default("accounts"),
};

const pgbackrestEnvSchema = z.object(pgbackrestEnv);
export type PgBackRestEnv = z.infer<typeof pgbackrestEnvSchema>;
