import { randomBytes } from "node:crypto";
import { useTestDatabase } from "@accounts/tests/harness";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The database roles the migrations create, used the way a deployment does: through login roles
// that are members of them. The application role may do its work and nothing destructive; the
// read-only analytics role may read, never write, and never read secrets.

const database = useTestDatabase();
const suffix = randomBytes(4).toString("hex");
const APP = `sec_app_${suffix}`;
const READER = `sec_reader_${suffix}`;
let admin: pg.Client;
let app: pg.Client;
let reader: pg.Client;

/** A client of this file's database logged in as `role` (the harness's server trusts local logins). */
async function connectAs(role: string): Promise<pg.Client> {
  const url = new URL(database.url());
  url.username = role;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  return client;
}

beforeAll(async () => {
  admin = await connectAs("postgres");
  // Roles are cluster-wide: unique names, dropped afterwards.
  await admin.query(`CREATE ROLE ${APP} LOGIN IN ROLE accounts_app`);
  await admin.query(`CREATE ROLE ${READER} LOGIN IN ROLE accounts_readonly`);
  app = await connectAs(APP);
  reader = await connectAs(READER);
});
afterAll(async () => {
  await Promise.allSettled([app?.end(), reader?.end()]);
  await admin?.query(`DROP ROLE IF EXISTS ${APP}`);
  await admin?.query(`DROP ROLE IF EXISTS ${READER}`);
  await admin?.end();
});

/** The SQLSTATE a statement fails with (42501: insufficient privilege), or "ok". */
async function outcome(client: pg.Client, statement: string): Promise<string> {
  try {
    await client.query("BEGIN");
    await client.query(statement);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    // Nothing a test statement did is kept, whatever it was.
    await client.query("ROLLBACK");
  }
}

describe("the application role (accounts_app)", () => {
  it("reads and writes what the apps need", async () => {
    expect(await outcome(app, "SELECT count(*) FROM accounts")).toBe("ok");
    expect(
      await outcome(
        app,
        "INSERT INTO accounts (user_id, currency, available, total) VALUES ('sec-1', 'USD', 1, 1)",
      ),
    ).toBe("ok");
    expect(await outcome(app, "SELECT ensure_time_partitions(7, 2)")).toBe("ok");
  });

  it.each([
    "DROP TABLE ledger_entries",
    "DROP TABLE accounts CASCADE",
    "TRUNCATE accounts",
    "TRUNCATE ledger_entries",
    "ALTER TABLE accounts DROP CONSTRAINT accounts_user_buckets_non_negative",
    "ALTER TABLE operations ADD COLUMN note text",
    "DELETE FROM ledger_entries",
    "DELETE FROM accounts",
    "CREATE TABLE public.sneaky (id int)",
    "GRANT accounts_app TO accounts_readonly",
    "CREATE ROLE sneaky LOGIN SUPERUSER",
    "ALTER ROLE accounts_readonly SUPERUSER",
  ])("cannot %s", async (statement) => {
    expect(await outcome(app, statement)).toBe("42501");
  });
});

describe("the read-only role (accounts_readonly)", () => {
  it("reads the ledger", async () => {
    for (const table of ["accounts", "operations", "ledger_entries", "currencies", "audit_log"]) {
      expect(await outcome(reader, `SELECT count(*) FROM ${table}`), table).toBe("ok");
    }
  });

  it.each([
    "INSERT INTO accounts (user_id, currency) VALUES ('sec-2', 'USD')",
    "UPDATE accounts SET available = available + 1",
    "DELETE FROM accounts",
    "INSERT INTO currencies (code, scale) VALUES ('SECZ', 2)",
    "UPDATE api_clients SET revoked_at = NULL",
    "DELETE FROM audit_log",
    "TRUNCATE operations",
    "DROP TABLE currencies CASCADE",
    "SELECT ensure_time_partitions(7, 2)",
  ])("cannot %s", async (statement) => {
    expect(await outcome(reader, statement)).toBe("42501");
  });

  it("cannot read the clients' webhook signing secrets or key hashes", async () => {
    expect(await outcome(reader, "SELECT webhook_secret FROM api_clients")).toBe("42501");
    expect(await outcome(reader, "SELECT key_hash FROM api_clients")).toBe("42501");
    expect(await outcome(reader, "SELECT id, name, key_prefix, scopes FROM api_clients")).toBe("ok");
  });
});
