import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { livePidFromFile } from "./server-process.ts";

/**
 * The local stack is what `npm start` runs on a developer's machine: its own PostgreSQL and Redis
 * in a data folder, and the apps. This module is where it keeps its data and what it remembers
 * between two starts (`stack.json`), read by `npm start` itself and by the operator command, which
 * finds the local database there when DATABASE_URL is unset.
 */

/** The database `npm start` creates on its PostgreSQL and gives the apps. */
export const LOCAL_DATABASE = "accounts";
/** The ports the local servers get when free (not 5432 and 6379, which the machine's own servers use). */
export const LOCAL_POSTGRES_PORT = 55432;
export const LOCAL_REDIS_PORT = 56379;

/** What `<data folder>/stack.json` remembers between two starts. */
export interface StackState {
  postgresPort?: number;
  redisPort?: number;
  /** The local database's URL, as `npm start` printed it; absent while it uses a DATABASE_URL of yours. */
  databaseUrl?: string;
}

/**
 * The local stack's data folder, absolute: LOCAL_DATA_DIR when set, else `.data` in `cwd` (npm
 * runs every script from the repository root).
 *
 * @example
 * localDataDir(process.env); // "/home/me/accounts/.data"
 */
export function localDataDir(env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  return resolve(cwd, env.LOCAL_DATA_DIR || ".data");
}

/** The PostgreSQL folder inside the data folder. */
export function localPostgresDir(dataDir: string): string {
  return join(dataDir, "postgres");
}

/** The Redis folder inside the data folder. */
export function localRedisDir(dataDir: string): string {
  return join(dataDir, "redis");
}

/** The state of the last start; empty when there is none or it cannot be read. */
export function readStackState(dataDir: string): StackState {
  try {
    const raw = JSON.parse(readFileSync(stateFile(dataDir), "utf8")) as Record<string, unknown>;
    const portOf = (value: unknown) => (Number.isInteger(value) ? (value as number) : undefined);
    const state: StackState = {};
    const postgresPort = portOf(raw.postgresPort);
    const redisPort = portOf(raw.redisPort);
    if (postgresPort) state.postgresPort = postgresPort;
    if (redisPort) state.redisPort = redisPort;
    if (typeof raw.databaseUrl === "string" && raw.databaseUrl) state.databaseUrl = raw.databaseUrl;
    return state;
  } catch {
    return {};
  }
}

/** Merges `changes` into the stored state (a key set to undefined is removed). */
export function updateStackState(dataDir: string, changes: Partial<Record<keyof StackState, unknown>>): void {
  const next: Record<string, unknown> = { ...readStackState(dataDir), ...changes };
  for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
  writeFileSync(stateFile(dataDir), `${JSON.stringify(next, null, 2)}\n`);
}

/** The URL `npm start` prints for its database on `port`. */
export function localDatabaseUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/${LOCAL_DATABASE}`;
}

/** Where the local stack's database is, for a command run beside `npm start`. */
export type LocalDatabase =
  | { found: true; url: string; running: boolean; dataDir: string }
  | { found: false; dataDir: string };

/**
 * The database of the local stack in `dataDir`, and whether its PostgreSQL runs right now.
 *
 * @example
 * const local = findLocalDatabase(localDataDir(process.env));
 * if (local.found && local.running) connect(local.url);
 */
export function findLocalDatabase(dataDir: string): LocalDatabase {
  const { databaseUrl } = readStackState(dataDir);
  if (!databaseUrl) return { found: false, dataDir };
  const pid = livePidFromFile(join(localPostgresDir(dataDir), "postmaster.pid"), "postgres");
  return { found: true, url: databaseUrl, running: pid !== undefined, dataDir };
}

function stateFile(dataDir: string): string {
  return join(dataDir, "stack.json");
}
