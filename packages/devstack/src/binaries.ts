import { accessSync, constants, readdirSync, realpathSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

/** Absolute paths of the PostgreSQL programs the devstack and the scheduler's backups use. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  pgCtl: string;
  pgDump: string;
  pgRestore: string;
  psql: string;
}

/** Absolute paths of the Redis programs. */
export interface RedisBinaries {
  redisServer: string;
  redisCli: string;
}

export interface FindBinariesOptions {
  /**
   * Folders to search, in the form of PATH. Defaults to the process's PATH: locating programs
   * is an operating-system concern, not configuration, so this is the one env read here.
   */
  pathEnv?: string;
  /** Where Debian installs each PostgreSQL major version (`<root>/<version>/bin`). */
  postgresLibRoot?: string;
}

/**
 * Thrown when a server program is not installed; its message names the Debian package.
 *
 * @example
 * try { findRedisBinaries(); } catch (error) {
 *   if (error instanceof MissingBinaryError) console.error(error.message); // "... apt-get install redis-server"
 * }
 */
export class MissingBinaryError extends Error {
  override readonly name = "MissingBinaryError";
  constructor(
    readonly program: string,
    readonly debianPackage: string,
    searched: string[],
  ) {
    super(
      `${program} was not found (searched PATH and ${searched.join(", ") || "nothing else"}). ` +
        `Install it with: apt-get install ${debianPackage}`,
    );
  }
}

/**
 * Locates the PostgreSQL server and client programs. `initdb` is looked up in PATH first, then in
 * the highest `/usr/lib/postgresql/<version>/bin`; the other programs are taken from the folder
 * `initdb` really lives in (after resolving symlinks) so that server and pg_dump share one major
 * version. Debian's `/usr/bin/pg_dump` is a version-picking wrapper, which we avoid that way.
 *
 * @example
 * const pg = findPostgresBinaries();
 * // { initdb: "/usr/lib/postgresql/15/bin/initdb", postgres: ".../postgres", pgDump: ".../pg_dump", ... }
 * @throws MissingBinaryError "initdb was not found ... Install it with: apt-get install postgresql"
 */
export function findPostgresBinaries(options: FindBinariesOptions = {}): PostgresBinaries {
  const pathDirs = splitPath(options.pathEnv ?? process.env.PATH);
  const libRoot = options.postgresLibRoot ?? "/usr/lib/postgresql";
  const versionDirs = postgresVersionDirs(libRoot);
  const initdb = findIn(pathDirs, "initdb") ?? findIn(versionDirs, "initdb");
  if (!initdb) throw new MissingBinaryError("initdb", "postgresql", [join(libRoot, "*", "bin")]);
  const home = dirname(realpathSync(initdb));
  const pick = (program: string): string => {
    const found = findIn([home], program) ?? findIn(pathDirs, program) ?? findIn(versionDirs, program);
    if (!found) throw new MissingBinaryError(program, "postgresql", [home]);
    return found;
  };
  return {
    initdb: realpathSync(initdb),
    postgres: pick("postgres"),
    pgCtl: pick("pg_ctl"),
    pgDump: pick("pg_dump"),
    pgRestore: pick("pg_restore"),
    psql: pick("psql"),
  };
}

/**
 * Locates `redis-server` and `redis-cli` in PATH (Debian puts them in /usr/bin).
 *
 * @example
 * findRedisBinaries(); // { redisServer: "/usr/bin/redis-server", redisCli: "/usr/bin/redis-cli" }
 * @throws MissingBinaryError "redis-server was not found ... Install it with: apt-get install redis-server"
 */
export function findRedisBinaries(options: FindBinariesOptions = {}): RedisBinaries {
  const dirs = splitPath(options.pathEnv ?? process.env.PATH);
  const find = (program: string): string => {
    const found = findIn(dirs, program);
    if (!found) throw new MissingBinaryError(program, "redis-server", []);
    return found;
  };
  return { redisServer: find("redis-server"), redisCli: find("redis-cli") };
}

/**
 * Locates `pgbackrest` in PATH (Debian puts it in /usr/bin): archiving and physical backups use it.
 *
 * @example
 * findPgBackRest(); // "/usr/bin/pgbackrest"
 * @throws MissingBinaryError "pgbackrest was not found ... Install it with: apt-get install pgbackrest"
 */
export function findPgBackRest(options: FindBinariesOptions = {}): string {
  const found = findIn(splitPath(options.pathEnv ?? process.env.PATH), "pgbackrest");
  if (!found) throw new MissingBinaryError("pgbackrest", "pgbackrest", []);
  return found;
}

function splitPath(pathEnv: string | undefined): string[] {
  return (pathEnv ?? "").split(delimiter).filter((dir) => dir.length > 0);
}

/** `<root>/<major>/bin` folders, highest major version first. */
function postgresVersionDirs(root: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  return entries
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((version) => join(root, version, "bin"));
}

function findIn(dirs: string[], program: string): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}
