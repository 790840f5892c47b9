import { useTestDatabase } from "@accounts/tests/harness";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isDatabaseUnavailableError, isRetryableDatabaseError } from "./errors.ts";
import { createPool, type Pool } from "./pool.ts";

// Found by the fault suite: killing PostgreSQL killed every worker, because a connection checked
// out of the pool (mid-transaction) emitted 'error' with nobody listening.

const database = useTestDatabase();
let pool: Pool;
let admin: Pool;

beforeAll(() => {
  pool = createPool(database.url(), { max: 2 });
  admin = createPool(database.url(), { max: 1 });
});
afterAll(async () => {
  await Promise.allSettled([pool?.end(), admin?.end()]);
});

it("survives the server dropping a checked-out connection, and fails its next query retryably", async () => {
  const client = await pool.connect();
  await client.query("BEGIN");
  const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
  const ended = new Promise((resolve) => client.once("end", resolve));
  // The server ends the session between two statements of a transaction, as a restart does. An
  // unheard 'error' event here would be an uncaught exception, which fails this run.
  await admin.query("SELECT pg_terminate_backend($1)", [pid]);
  await ended;
  const error = await client.query("SELECT 1").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  expect(isRetryableDatabaseError(error)).toBe(true);
  expect(isDatabaseUnavailableError(error)).toBe(true);
  client.release(error as Error);
  // The pool goes on with a fresh connection.
  expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
});
