import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type PostgresServer, startPostgres } from "./postgres.ts";
import { setSynchronousStandbys, startStandby, waitForStreaming } from "./standby.ts";

const root = mkdtempSync(join(inject("harnessDir"), "standby-"));
chmodSync(root, 0o755);

const started: PostgresServer[] = [];
afterAll(async () => {
  await Promise.allSettled(started.map((server) => server.stop()));
});

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

describe("startStandby", () => {
  it("clones the primary, confirms commits synchronously, and keeps every commit through kill -9 and promotion", async () => {
    const primary = await startPostgres({ dataDir: join(root, "primary"), quiet: true });
    started.push(primary);
    await query(primary.url, "CREATE TABLE kept (id int)");
    const standby = await startStandby({
      primary,
      dataDir: join(root, "standby1"),
      name: "standby1",
      quiet: true,
    });
    started.push(standby);
    await waitForStreaming(primary.url, "standby1");
    await setSynchronousStandbys(primary.url, ["standby1"]);

    const [sync] = await query<{ sync_state: string }>(
      primary.url,
      "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
    );
    expect(sync?.sync_state).toMatch(/^(sync|quorum)$/);
    // A hot standby answers reads and refuses writes.
    expect(await query(standby.url, "SELECT pg_is_in_recovery() AS r")).toEqual([{ r: true }]);

    await query(primary.url, "INSERT INTO kept SELECT generate_series(1, 100)");
    await primary.kill("SIGKILL");
    rmSync(primary.dataDir, { recursive: true, force: true });
    await standby.promote();
    expect(await query(standby.url, "SELECT pg_is_in_recovery() AS r")).toEqual([{ r: false }]);
    expect(await query(standby.url, "SELECT count(*)::int AS n FROM kept")).toEqual([{ n: 100 }]);
  });
});
