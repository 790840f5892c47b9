import { join } from "node:path";
import { backupEnv, pgbackrestEnv } from "@accounts/backups";
import { findLocalDatabase, LOCAL_POSTGRES_PORT, localDatabaseUrl, localDataDir } from "@accounts/devstack";
import { ConfigError, commonEnv, loadConfig } from "@accounts/runtime";
import { z } from "zod";

/**
 * The operator command's configuration: only where the database is. DATABASE_URL may be unset
 * beside a running `npm start` (see withDatabaseUrl); LOCAL_DATA_DIR names its data folder when it
 * is not `.data`.
 */
export const ctlEnvSchema = z.object({
  DATABASE_URL: commonEnv.DATABASE_URL,
  LOCAL_DATA_DIR: z.string().min(1).optional(),
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

/**
 * The environment with DATABASE_URL filled in from the local stack when it is unset: beside a running
 * `npm start`, ctl works with no settings, on the database `npm start` printed (its data folder's
 * stack.json). Backups then go to that folder too, where the local scheduler writes its own.
 */
function withDatabaseUrl(env: NodeJS.ProcessEnv, example: string): NodeJS.ProcessEnv {
  if (env.DATABASE_URL) return env;
  const local = findLocalDatabase(localDataDir(env));
  if (local.found && local.running) {
    return { ...env, DATABASE_URL: local.url, BACKUP_DIR: env.BACKUP_DIR || join(local.dataDir, "backups") };
  }
  const printed = local.found ? local.url : localDatabaseUrl(LOCAL_POSTGRES_PORT);
  throw new ConfigError(
    local.found
      ? `DATABASE_URL is not set, and the local stack's PostgreSQL (${printed}, data in ${local.dataDir}) ` +
          "is not running: start it with `npm start` in another terminal, or set DATABASE_URL."
      : `DATABASE_URL is not set, and there is no local stack in ${local.dataDir}. Start one with \`npm start\` ` +
          `in another terminal (ctl then finds its database, which it prints as ${printed}), or point ` +
          `DATABASE_URL at the accounts database, for example\n  DATABASE_URL=${printed} npm run ctl -- ${example}`,
  );
}

/** Parsed when a command first needs the database, so that `--help` works without it. */
export function loadCtlConfig(env: NodeJS.ProcessEnv): Readonly<CtlConfig> {
  return loadConfig(ctlEnvSchema, withDatabaseUrl(env, "clients list"));
}

/** The configuration of `backup` and `restore`. */
export function loadCtlBackupConfig(env: NodeJS.ProcessEnv): Readonly<CtlBackupConfig> {
  return loadConfig(ctlBackupEnvSchema, withDatabaseUrl(env, "backup"));
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
