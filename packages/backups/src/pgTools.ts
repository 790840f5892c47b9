import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { findPostgresBinaries, MissingBinaryError } from "@accounts/devstack";

/** The PostgreSQL client programs backups and restores run. */
export interface PgTools {
  pgDump: string;
  pgRestore: string;
}

/**
 * Locates pg_dump and pg_restore: in `binDir` when given (`PG_BIN_DIR`), else in the PostgreSQL
 * installation of the machine (the highest major version, with the server programs beside it).
 * pg_dump refuses a server newer than itself, so in production point `PG_BIN_DIR` at the client
 * programs of the server's major version or newer.
 *
 * @example
 * resolvePgTools("/usr/lib/postgresql/16/bin") // { pgDump: "/usr/lib/postgresql/16/bin/pg_dump", pgRestore: "..." }
 * @throws Error naming PG_BIN_DIR and the Debian package when a program is missing
 */
export function resolvePgTools(binDir?: string): PgTools {
  if (binDir) {
    const tools = { pgDump: join(binDir, "pg_dump"), pgRestore: join(binDir, "pg_restore") };
    for (const program of Object.values(tools)) {
      try {
        accessSync(program, constants.X_OK);
      } catch {
        throw new Error(`${program} is missing or not executable: check PG_BIN_DIR (${binDir})`);
      }
    }
    return tools;
  }
  try {
    const found = findPostgresBinaries();
    return { pgDump: found.pgDump, pgRestore: found.pgRestore };
  } catch (error) {
    if (error instanceof MissingBinaryError) {
      throw new Error(
        `${error.message}. Or set PG_BIN_DIR to a folder holding pg_dump and pg_restore (Debian: apt-get install postgresql-client).`,
      );
    }
    throw error;
  }
}

/** How a client program reaches a database without putting the password on its command line. */
export interface PgConnection {
  /** `--dbname=<url without password>`. */
  args: string[];
  /** The process environment plus PGPASSWORD when the URL had one. */
  env: NodeJS.ProcessEnv;
}

/**
 * The arguments and environment that connect pg_dump or pg_restore to `databaseUrl`. The password
 * travels in PGPASSWORD, not in argv, where any user of the machine could read it with `ps`.
 *
 * @example
 * pgConnection("postgres://ops:s3cret@db:5432/accounts")
 * // { args: ["--dbname=postgres://ops@db:5432/accounts"], env: { ...process.env, PGPASSWORD: "s3cret" } }
 */
export function pgConnection(databaseUrl: string, baseEnv: NodeJS.ProcessEnv = process.env): PgConnection {
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.password = "";
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  if (password !== undefined) env.PGPASSWORD = password;
  return { args: [`--dbname=${url.href}`, "--no-password"], env };
}

/** The database named in a connection URL. */
export function databaseNameOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ""));
}
