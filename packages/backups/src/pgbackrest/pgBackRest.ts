import { accessSync, constants } from "node:fs";
import { dirname } from "node:path";
import { findPgBackRest, postgresRunAs, type SystemAccount } from "@accounts/devstack";
import { ProgramFailedError } from "../errors.ts";
import { type ProgramResult, runProgram } from "../program.ts";

/** pgBackRest's exit code when another pgBackRest process holds the stanza's lock (error 050). */
export const LOCK_HELD_EXIT_CODE = 50;

/** How to run pgBackRest against one stanza. */
export interface PgBackRest {
  program: string;
  /**
   * The pgbackrest.conf naming the repository (and the cluster, where it runs beside it). The `.conf`
   * files of `conf.d/` beside it are read too when it exists (never /etc/pgbackrest/conf.d, unless
   * that is where the file is): in production the repository's credentials come from there, a
   * Secret mounted as a file.
   */
  configFile: string;
  stanza: string;
  /** The account it runs as: the one that runs PostgreSQL when we are root, else ourselves. */
  runAs: SystemAccount | undefined;
}

/**
 * Locates pgbackrest and checks the configuration file is there. pgBackRest runs as the account that
 * runs PostgreSQL: the repository and the restored data folders must belong to that account, and
 * PostgreSQL's own `archive-push` writes the archive as it.
 *
 * @example
 * resolvePgBackRest({ configFile: "/srv/accounts/.data/pgbackrest/pgbackrest.conf", stanza: "accounts" })
 * // { program: "/usr/bin/pgbackrest", configFile: "...", stanza: "accounts", runAs: { name: "postgres", ... } }
 * @throws Error naming PGBACKREST_CONFIG when the file does not exist
 */
export function resolvePgBackRest(options: {
  configFile: string;
  stanza: string;
  program?: string;
}): PgBackRest {
  try {
    accessSync(options.configFile, constants.R_OK);
  } catch {
    throw new Error(
      `the pgBackRest configuration ${options.configFile} does not exist or cannot be read: set PGBACKREST_CONFIG ` +
        "to the pgbackrest.conf of the database's repository (the local stack writes .data/pgbackrest/pgbackrest.conf " +
        "when it starts PostgreSQL)",
    );
  }
  return {
    program: options.program ?? findPgBackRest(),
    configFile: options.configFile,
    stanza: options.stanza,
    runAs: postgresRunAs(),
  };
}

export interface RunPgBackRestOptions {
  /** Killed after this long. Default: none (a backup of a large database takes hours). */
  timeoutMs?: number;
  /** Each line pgBackRest prints, as it prints it. */
  onLine?: (line: string) => void;
  /** Throw ProgramFailedError on a non-zero exit (default true). */
  check?: boolean;
}

/**
 * Runs `pgbackrest --config-path=<its folder> --config=... --stanza=... <command> <args>` as the
 * PostgreSQL account, without a shell. pgBackRest's exit code is its error code (50: the stanza is locked by another backup).
 *
 * @example
 * await runPgBackRest(pgbr, "backup", ["--type=incr", "--log-level-console=info"])
 * @throws ProgramFailedError "pgbackrest failed (exit code 50): ERROR: [050]: unable to acquire lock ..."
 */
export async function runPgBackRest(
  pgbr: PgBackRest,
  command: string,
  args: readonly string[] = [],
  options: RunPgBackRestOptions = {},
): Promise<ProgramResult> {
  try {
    return await runProgram(
      pgbr.program,
      [
        `--config-path=${dirname(pgbr.configFile)}`,
        `--config=${pgbr.configFile}`,
        `--stanza=${pgbr.stanza}`,
        ...args,
        command,
      ],
      {
        runAs: pgbr.runAs,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.onLine ? { onLine: options.onLine } : {}),
        check: options.check ?? true,
        // pgBackRest reads every PGBACKREST_* variable as an option: give it only what it needs.
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" },
      },
    );
  } catch (error) {
    if (error instanceof ProgramFailedError) {
      throw new ProgramFailedError(`pgbackrest ${command}`, error.exitCode, error.output);
    }
    throw error;
  }
}
