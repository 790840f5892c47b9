import { randomBytes } from "node:crypto";
import pg from "pg";

export interface CreateDatabaseOptions {
  /** Copy this database (it must have no open connections while the copy runs). */
  template?: string;
  /** Succeed without doing anything when the database exists already. */
  ifNotExists?: boolean;
}

/** A database cloned for one user of it (typically one test file). */
export interface ClonedDatabase {
  name: string;
  url: string;
  /** Drops it, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

const DUPLICATE_DATABASE = "42P04";

/**
 * Creates database `name` through the superuser connection `adminUrl`. Resolves true when it
 * created it, false when it existed and `ifNotExists` was set.
 *
 * @example
 * await createDatabase("postgres://postgres@127.0.0.1:55432/postgres", "accounts", { ifNotExists: true });
 * // CREATE DATABASE "accounts"
 */
export async function createDatabase(
  adminUrl: string,
  name: string,
  options: CreateDatabaseOptions = {},
): Promise<boolean> {
  const template = options.template ? ` TEMPLATE ${quoteIdent(options.template)}` : "";
  return withAdmin(adminUrl, async (client) => {
    // Looking first keeps the server log free of "already exists" errors on every start.
    if (options.ifNotExists) {
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (found.rowCount) return false;
    }
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}${template}`);
      return true;
    } catch (error) {
      // Another process created it between our look and our CREATE.
      if (options.ifNotExists && (error as { code?: string }).code === DUPLICATE_DATABASE) return false;
      throw error;
    }
  });
}

/**
 * Drops database `name` if it exists, terminating its open connections.
 *
 * @example
 * await dropDatabase(adminUrl, "accounts_test_1"); // DROP DATABASE IF EXISTS "accounts_test_1" WITH (FORCE)
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  );
}

/**
 * Creates a uniquely named copy of `template` (a migrated database clones in milliseconds,
 * far faster than migrating a fresh one) and returns its URL.
 *
 * @example
 * const db = await cloneTemplate(adminUrl, "accounts_template");
 * db.url; // "postgres://postgres@127.0.0.1:41873/accounts_template_m1x2y3_9f8e7d6c"
 * await db.drop();
 */
export async function cloneTemplate(adminUrl: string, template: string): Promise<ClonedDatabase> {
  const suffix = `${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  // PostgreSQL cuts identifiers at 63 bytes; keep the unique part whole.
  const name = `${template.slice(0, 63 - suffix.length - 1)}_${suffix}`;
  await createDatabase(adminUrl, name, { template });
  return { name, url: databaseUrl(adminUrl, name), drop: () => dropDatabase(adminUrl, name) };
}

/**
 * The same server URL pointing at another database.
 *
 * @example
 * databaseUrl("postgres://postgres@127.0.0.1:5/postgres", "accounts"); // "postgres://postgres@127.0.0.1:5/accounts"
 */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.href;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Runs `work` on a connection of its own to `adminUrl` (closed after, whatever happens). */
export async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: adminUrl,
    application_name: "accounts-devstack",
    connectionTimeoutMillis: 5_000,
  });
  client.on("error", () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}
