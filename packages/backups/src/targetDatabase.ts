import pg from "pg";

export interface DatabaseState {
  exists: boolean;
  /** Tables, views, sequences... outside the system schemas (0 for a fresh database). */
  relations: number;
}

/**
 * Whether database `name` exists on the server of `adminUrl`, and whether it holds anything.
 *
 * @example
 * await inspectDatabase("postgres://ops@db:5432/postgres", "accounts") // { exists: true, relations: 87 }
 */
export async function inspectDatabase(adminUrl: string, name: string): Promise<DatabaseState> {
  const exists = await withClient(adminUrl, async (client) => {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    return (found.rowCount ?? 0) > 0;
  });
  if (!exists) return { exists: false, relations: 0 };
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  const relations = await withClient(url.href, async (client) => {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
         AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
    );
    return Number(rows[0]?.n ?? 0);
  });
  return { exists: true, relations };
}

/**
 * `ALTER DATABASE from RENAME TO to` (no session may be connected to `from`).
 *
 * @example
 * await renameDatabase(adminUrl, "accounts_restoring", "accounts")
 */
export async function renameDatabase(adminUrl: string, from: string, to: string): Promise<void> {
  await withClient(adminUrl, (client) =>
    client.query(`ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`),
  );
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "accounts-restore" });
  client.on("error", () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}
