import { backupEnv, pgbackrestEnv } from "@accounts/backups";
import { ConfigError, commonEnv, loadConfig } from "@accounts/runtime";
import { z } from "zod";

/** The operator command's configuration: only where the database is. */
export const ctlEnvSchema = z.object({
  DATABASE_URL: commonEnv.DATABASE_URL,
});

export type CtlConfig = z.infer<typeof ctlEnvSchema>;

/** `backup` and `restore` also read the backup variables the scheduler reads. */
export const ctlBackupEnvSchema = ctlEnvSchema.extend({
  ...backupEnv,
  /** Database `restore` writes into when --database is not given; the one of DATABASE_URL when unset. */
  RESTORE_DATABASE: z.string().min(1).optional(),
  /** Database `restore` connects to for CREATE / DROP DATABASE. */
  RESTORE_ADMIN_DATABASE: z.string().min(1).default("postgres"),
});

export type CtlBackupConfig = z.infer<typeof ctlBackupEnvSchema>;

function requireDatabaseUrl(env: NodeJS.ProcessEnv, example: string): void {
  if (!env.DATABASE_URL) {
    throw new ConfigError(
      "DATABASE_URL is not set: point it at the accounts database, for example\n" +
        `  DATABASE_URL=postgres://accounts@127.0.0.1:5432/accounts npm run ctl -- ${example}`,
    );
  }
}

/** Parsed when a command first needs the database, so that `--help` works without it. */
export function loadCtlConfig(env: NodeJS.ProcessEnv): Readonly<CtlConfig> {
  requireDatabaseUrl(env, "clients list");
  return loadConfig(ctlEnvSchema, env);
}

/** The configuration of `backup` and `restore`. */
export function loadCtlBackupConfig(env: NodeJS.ProcessEnv): Readonly<CtlBackupConfig> {
  requireDatabaseUrl(env, "backup");
  return loadConfig(ctlBackupEnvSchema, env);
}

/**
 * `restore --to` (point in time) needs no running database, least of all the primary, which may be
 * gone: only the pgBackRest repository, and which database of the restored cluster holds the ledger.
 */
export const ctlPointInTimeEnvSchema = z.object({
  ...pgbackrestEnv,
  /** Only its database name is used (the ledger's database in the restored cluster), when set. */
  DATABASE_URL: commonEnv.DATABASE_URL.optional(),
  RESTORE_DATABASE: z.string().min(1).optional(),
  PG_BIN_DIR: backupEnv.PG_BIN_DIR,
});

export type CtlPointInTimeConfig = z.infer<typeof ctlPointInTimeEnvSchema>;

/** The configuration of `restore --to`. */
export function loadCtlPointInTimeConfig(env: NodeJS.ProcessEnv): Readonly<CtlPointInTimeConfig> {
  return loadConfig(ctlPointInTimeEnvSchema, env);
}
