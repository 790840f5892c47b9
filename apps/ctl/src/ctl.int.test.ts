import { execFile } from "node:child_process";
import { userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, createPool, type Db, findActiveClientByKeyHash, getClientSecret } from "@accounts/db";
import { hashApiKey, looksLikeApiKey } from "@accounts/domain";
import { useTestDatabase } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Runs the real command as a child process (through tsx, as `npm run ctl` does) against this
// file's PostgreSQL database. Nothing is faked.

const database = useTestDatabase();
let db: Db;
const root = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = join(root, "node_modules", ".bin", "tsx");
const main = join(root, "apps", "ctl", "src", "main.ts");

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 2 }));
});
afterAll(async () => {
  await db.destroy();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ctl(
  args: string[],
  env: Record<string, string | undefined> = { DATABASE_URL: database.url() },
): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  return new Promise((resolve) => {
    execFile(tsx, [main, ...args], { cwd: root, env: childEnv, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
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

  it("says clearly when DATABASE_URL is missing", async () => {
    const run = await ctl(["clients", "list"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("DATABASE_URL is not set");
  });
});
