import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { createDb, createPool, type Db, findActiveClientByKeyHash, getClientSecret } from "@accounts/db";
import {
  LOCAL_POSTGRES_PORT,
  localDatabaseUrl,
  localPostgresDir,
  updateStackState,
} from "@accounts/devstack";
import { hashApiKey, looksLikeApiKey } from "@accounts/domain";
import { type CtlRun, runCtl, useTestDatabase } from "@accounts/tests/harness";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";

// Runs the real command as a child process (the built ctl, as the production image runs it) against this
// file's PostgreSQL database. Nothing is faked.

const database = useTestDatabase();
let db: Db;

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 2 }));
});
afterAll(async () => {
  await db.destroy();
});

function ctl(
  args: string[],
  env: Record<string, string | undefined> = { DATABASE_URL: database.url() },
): Promise<CtlRun> {
  return runCtl(args, env);
}

function field(output: string, label: string): string {
  const match = new RegExp(`^\\s+${label}\\s+(\\S.*)$`, "m").exec(output);
  if (!match?.[1]) throw new Error(`no "${label}" in:\n${output}`);
  return match[1];
}

describe("ctl clients", () => {
  it("creates a client, prints its key and secret once, stores only the hash, and audits it", async () => {
    const run = await ctl([
      "clients",
      "create",
      "--name",
      "trading-engine",
      "--scopes",
      "operations:write,operations:read",
      "--rate-limit",
      "2500",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const id = /Created API client (cl_\S+)/.exec(run.stdout)?.[1];
    const key = field(run.stdout, "API key");
    const secret = field(run.stdout, "webhook secret");
    expect(looksLikeApiKey(key)).toBe(true);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(run.stdout).toMatch(/shown only\s+this once/);

    const client = await findActiveClientByKeyHash(db, hashApiKey(key));
    expect(client).toMatchObject({
      id,
      name: "trading-engine",
      keyPrefix: key.slice(0, 19),
      scopes: ["operations:write", "operations:read"],
      rateLimit: 2500,
    });
    expect(await getClientSecret(db, id ?? "")).toBe(secret);
    const stored = JSON.stringify(
      await db
        .selectFrom("api_clients")
        .selectAll()
        .where("id", "=", id ?? "")
        .execute(),
    );
    expect(stored).not.toContain(key);

    const audit = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("client_id", "=", id ?? "")
      .execute();
    expect(audit).toMatchObject([
      {
        event: "client.created",
        actor: userInfo().username,
        details: { name: "trading-engine", keyPrefix: key.slice(0, 19), rateLimit: 2500, via: "ctl" },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(key);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it("prints JSON on request, with the default rate limit", async () => {
    const run = await ctl(["clients", "create", "--name", "wallet", "--scopes", "accounts:read", "--json"]);
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout) as {
      id: string;
      apiKey: string;
      webhookSecret: string;
      rateLimit: number;
    };
    expect(created).toMatchObject({
      name: "wallet",
      scopes: ["accounts:read"],
      rateLimit: 10_000,
      revokedAt: null,
    });
    expect((await findActiveClientByKeyHash(db, hashApiKey(created.apiKey)))?.id).toBe(created.id);
  });

  it("lists clients without keys or secrets, and revokes one with an audit row", async () => {
    const created = JSON.parse(
      (await ctl(["clients", "create", "--name", "back-office", "--scopes", "admin", "--json"])).stdout,
    ) as { id: string; apiKey: string; webhookSecret: string; keyPrefix: string };

    const listed = await ctl(["clients", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+NAME\s+KEY PREFIX\s+SCOPES\s+RATE LIMIT\s+CREATED\s+REVOKED$/m);
    const line = listed.stdout.split("\n").find((row) => row.startsWith(created.id));
    expect(line).toMatch(new RegExp(`back-office\\s+${created.keyPrefix}\\s+admin\\s+10000\\s+\\S+Z\\s+-$`));
    expect(listed.stdout).not.toContain(created.apiKey);
    expect(listed.stdout).not.toContain(created.webhookSecret);

    const revoked = await ctl(["clients", "revoke", created.id]);
    expect(revoked).toMatchObject({ code: 0, stderr: "" });
    expect(revoked.stdout).toContain(`Revoked ${created.id}`);
    expect(await findActiveClientByKeyHash(db, hashApiKey(created.apiKey))).toBeUndefined();
    const again = await ctl(["clients", "revoke", created.id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already revoked");

    const audit = await db
      .selectFrom("audit_log")
      .select(["event", "actor"])
      .where("client_id", "=", created.id)
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { event: "client.created", actor: userInfo().username },
      { event: "client.revoked", actor: userInfo().username },
    ]);

    const json = JSON.parse((await ctl(["clients", "list", "--json"])).stdout) as {
      id: string;
      revokedAt: string | null;
    }[];
    expect(json.find((client) => client.id === created.id)?.revokedAt).toMatch(/Z$/);
    expect(JSON.stringify(json)).not.toContain(created.webhookSecret);

    const unknown = await ctl(["clients", "revoke", "cl_NOSUCHCLIENT"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("No API client has the id cl_NOSUCHCLIENT");
  });

  it("refuses unknown scopes, creating nothing", async () => {
    const before = await db.selectFrom("api_clients").select("id").execute();
    const run = await ctl(["clients", "create", "--name", "x", "--scopes", "operations:write,superpowers"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown scope "superpowers"');
    expect(await db.selectFrom("api_clients").select("id").execute()).toHaveLength(before.length);
  });
});

describe("ctl beside `npm start` (DATABASE_URL unset)", () => {
  const folders: string[] = [];
  /** A local stack's data folder, as `npm start` leaves it: its stack.json, and its PostgreSQL's pid file. */
  const localStack = (options: { databaseUrl?: string; postgresRunning: boolean }) => {
    const dataDir = mkdtempSync(join(tmpdir(), "accounts-ctl-local-"));
    folders.push(dataDir);
    if (options.databaseUrl) updateStackState(dataDir, { databaseUrl: options.databaseUrl });
    if (options.postgresRunning) {
      // The harness's PostgreSQL stands in for the local one: its pid file names a live postmaster.
      mkdirSync(localPostgresDir(dataDir));
      const harnessPostgres = join(inject("harnessDir"), "postgres", "postmaster.pid");
      copyFileSync(harnessPostgres, join(localPostgresDir(dataDir), "postmaster.pid"));
    }
    return dataDir;
  };
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it("uses the local stack's database, as `npm start` printed it", async () => {
    const created = await ctl(["clients", "create", "--name", "local-dev", "--scopes", "admin", "--json"]);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const dataDir = localStack({ databaseUrl: database.url(), postgresRunning: true });

    const listed = await ctl(["clients", "list", "--json"], { LOCAL_DATA_DIR: dataDir });
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((client) => client.id)).toContain(id);
  });

  it("says that the local stack is not running", async () => {
    const dataDir = localStack({ databaseUrl: database.url(), postgresRunning: false });
    const run = await ctl(["clients", "list"], { LOCAL_DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("DATABASE_URL is not set");
    expect(run.stderr).toContain(`local stack's PostgreSQL (${database.url()}`);
    expect(run.stderr).toContain("is not running: start it with `npm start`");
  });

  it("without a local stack, names the URL `npm start` prints", async () => {
    const dataDir = localStack({ postgresRunning: false });
    const run = await ctl(["clients", "list"], { LOCAL_DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`DATABASE_URL is not set, and there is no local stack in ${dataDir}`);
    expect(run.stderr).toContain(`DATABASE_URL=${localDatabaseUrl(LOCAL_POSTGRES_PORT)} npm run ctl`);
  });
});
