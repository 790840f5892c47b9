import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { type PostgresServer, startPostgres } from "./postgres.ts";
import { postgresRunAs } from "./system-account.ts";

// A real PostgreSQL started with archiving on, and the real pgbackrest.
const root = mkdtempSync(join(inject("harnessDir"), "archiving-"));
chmodSync(root, 0o755);
let server: PostgresServer | undefined;
afterAll(async () => {
  await server?.stop();
});

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

describe("startPostgres with archiving", () => {
  it("archives WAL into a pgBackRest repository beside the data folder, with the stanza created", async () => {
    server = await startPostgres({
      dataDir: join(root, "pg"),
      quiet: true,
      settings: { fsync: "off" },
      archiving: { stanza: "devstack_test", archiveTimeoutSeconds: 30 },
    });
    const archive = server.archive;
    expect(archive?.configFile).toBe(join(root, "pg-pgbackrest", "pgbackrest.conf"));
    const [settings] = await query<{ mode: string; command: string; timeout: string }>(
      server.url,
      "SELECT current_setting('archive_mode') AS mode, current_setting('archive_command') AS command, current_setting('archive_timeout') AS timeout",
    );
    expect(settings).toEqual({
      mode: "on",
      command: expect.stringContaining("--stanza=devstack_test archive-push %p"),
      timeout: "30s",
    });

    // `check` switches to a new WAL segment and waits until archive-push has stored it.
    const runAs = postgresRunAs();
    const { stdout } = await promisify(execFile)(
      "pgbackrest",
      [
        `--config-path=${archive?.dir}`,
        `--config=${archive?.configFile}`,
        "--stanza=devstack_test",
        "--log-level-console=info",
        "check",
      ],
      runAs ? { uid: runAs.uid, gid: runAs.gid } : {},
    );
    expect(stdout).toMatch(/successfully archived to/);
    const [archiver] = await query<{ archived: string; failed: string }>(
      server.url,
      "SELECT archived_count::text AS archived, failed_count::text AS failed FROM pg_stat_archiver",
    );
    expect(Number(archiver?.archived)).toBeGreaterThan(0);
    expect(archiver?.failed).toBe("0");

    // A restart finds the stanza there already.
    await server.restart();
    expect(await query(server.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });
});
