import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./database.ts";
import { watchReplicationNotices } from "./replicas/unreplicatedCommit.ts";

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Type parsers of this project's pools. `numeric` stays a string (money is never a JS number);
 * `bigint` columns hold versions, ids and counts, parsed to numbers with a range check.
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID) return parseInt8;
    if (oid === NUMERIC_OID) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`bigint ${value} is beyond 2^53`);
  return parsed;
}

export interface PoolOptions {
  /** Most connections this pool opens. */
  max?: number;
  /** Name shown in pg_stat_activity.application_name. */
  applicationName?: string;
  /** Milliseconds a statement may run before the server cancels it (0 = no limit). */
  statementTimeoutMs?: number;
}

/**
 * A pg pool with the project's type parsers.
 *
 * @example
 * const pool = createPool("postgres://app@127.0.0.1:5432/accounts", { max: 10 });
 */
export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "accounts",
    types,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener that
  // would crash the process. The next checkout simply opens a new connection.
  pool.on("error", () => {});
  // A client checked OUT whose server goes away between two queries (a transaction in progress,
  // a PostgreSQL restart) emits 'error' on the client itself, with no query to fail: without a
  // listener that is an uncaught exception, and every worker died when PostgreSQL was killed
  // (tests/faults). With one, the next query on it fails with a retryable connection error, and
  // the pool drops the client when it is released.
  pool.on("connect", (client) => {
    client.on("error", () => {});
    watchReplicationNotices(client);
  });
  return pool;
}

const pools = new WeakMap<Kysely<Database>, pg.Pool>();

/** A Kysely instance over a pool. Destroying it ends the pool. */
export function createDb(pool: pg.Pool): Kysely<Database> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/**
 * The pool under a Kysely instance made by {@link createDb}: the ledger core talks to pg directly
 * (COPY and named prepared statements, which Kysely does not offer).
 */
export function poolOf(db: Kysely<Database>): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("this Kysely instance was not made by createDb(); pass one that was");
  return pool;
}

export type Db = Kysely<Database>;
export type { Pool, PoolClient } from "pg";
