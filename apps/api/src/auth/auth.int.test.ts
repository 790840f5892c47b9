import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createDb, createPool, type Db, insertClient, revokeClient } from "@accounts/db";
import { generateApiKey, generateWebhookSecret, hashApiKey, newClientId, type Scope } from "@accounts/domain";
import { createLogger, type Logger } from "@accounts/runtime";
import { useTestDatabase, waitFor } from "@accounts/tests/harness";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ApiEnv } from "../http/context.ts";
import { ApiError, renderProblem } from "../http/errors.ts";
import { requestIdMiddleware } from "../http/requestId.ts";
import { auditAdminActions } from "./auditAdminActions.ts";
import { AuditLogWriter } from "./auditLog.ts";
import { authenticate } from "./authenticate.ts";
import { ClientRegistry } from "./clientRegistry.ts";
import { AuthFailureLimiter, ClientRateLimiter, rateLimit } from "./rateLimit.ts";
import { requireScope } from "./requireScope.ts";

// Real: PostgreSQL (harness clone), the Node HTTP server, the client registry, the audit writer
// and the pino logger (its output captured). Nothing is faked.

const database = useTestDatabase();
let db: Db;
const logLines: string[] = [];
let log: Logger;
/** Every key this file has made: none may ever appear in a log line or an audit row. */
const allKeys: string[] = [];

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 6 }));
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      logLines.push(String(chunk));
      callback();
    },
  });
  log = createLogger({ service: "api-test", level: "debug", destination });
});
afterAll(async () => {
  const logged = logLines.join("");
  // The check below means something only if failures were logged at all.
  expect(logged).toContain("authentication failed");
  for (const key of allKeys) {
    expect(logged).not.toContain(key);
    // Not even the secret part on its own.
    expect(logged).not.toContain(key.slice(20));
  }
  const auditRows = JSON.stringify(await db.selectFrom("audit_log").selectAll().execute());
  for (const key of allKeys) expect(auditRows).not.toContain(key.slice(20));
  await db.destroy();
});

async function createClient(scopes: Scope[], rateLimit?: number) {
  const { key, prefix } = generateApiKey();
  allKeys.push(key);
  const client = await insertClient(db, {
    id: newClientId(),
    name: `test-${scopes.join("+") || "none"}`,
    keyHash: hashApiKey(key),
    keyPrefix: prefix,
    scopes,
    webhookSecret: generateWebhookSecret(),
    ...(rateLimit !== undefined ? { rateLimit } : {}),
  });
  return { key, prefix, id: client.id };
}

interface Served {
  url: string;
  audit: AuditLogWriter;
  registry: ClientRegistry;
  close(): Promise<void>;
}
const running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((served) => served.close()));
});

/** A tiny app with the auth middlewares, wired as createApp will wire them, served on a free port. */
async function serveApp(options: { failuresPerMinute?: number } = {}): Promise<Served> {
  const registry = ClientRegistry.forDatabase(db, log, { refreshIntervalMs: 100 });
  await registry.start();
  const audit = AuditLogWriter.forDatabase(db, log, { flushIntervalMs: 20 });
  const failures = new AuthFailureLimiter({ failuresPerMinute: options.failuresPerMinute ?? 1000 });
  const limiter = new ClientRateLimiter();

  const app = new Hono<ApiEnv>();
  app.use("*", requestIdMiddleware());
  app.use("*", async (c, next) => {
    c.set("log", log);
    await next();
  });
  app.use("/v1/*", authenticate(registry, audit, { failures }), rateLimit(limiter));
  app.get("/v1/whoami", requireScope("operations:read", audit), (c) => {
    const client = c.get("client");
    return c.json({ id: client.id, name: client.name, scopes: [...client.scopes].sort() });
  });
  app.post("/v1/admin/things", requireScope("admin", audit), auditAdminActions(audit), (c) =>
    c.json({ done: true }, 202),
  );
  app.use(
    "/admin/queues/*",
    authenticate(registry, audit, { failures, basicRealm: "accounts" }),
    rateLimit(limiter),
    requireScope("admin", audit),
  );
  app.get("/admin/queues/*", (c) => c.html("<h1>queues</h1>"));
  app.onError((error, c) =>
    error instanceof ApiError
      ? renderProblem(c, error.code, error.message, error.options)
      : renderProblem(c, "internal", "internal error"),
  );

  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  const served: Served = {
    url: `http://127.0.0.1:${port}`,
    audit,
    registry,
    close: async () => {
      registry.close();
      await audit.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  running.push(served);
  return served;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

async function auditRows(event: string) {
  return db.selectFrom("audit_log").selectAll().where("event", "=", event).orderBy("id").execute();
}

describe("authenticate", () => {
  it("lets a valid key through with its client set", async () => {
    const app = await serveApp();
    const { key, id } = await createClient(["operations:read", "accounts:read"]);
    const response = await fetch(`${app.url}/v1/whoami`, { headers: bearer(key) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id,
      name: "test-operations:read+accounts:read",
      scopes: ["accounts:read", "operations:read"],
    });
  });

  it("answers 401 problem documents with a Bearer challenge to missing, malformed and unknown keys", async () => {
    const app = await serveApp();
    const { key: unknownKey } = generateApiKey();
    allKeys.push(unknownKey);
    const cases: [string, Record<string, string>, string][] = [
      ["missing", {}, "missing_credentials"],
      ["malformed", { authorization: "Bearer hunter2" }, "malformed_credentials"],
      ["wrong scheme", { authorization: `Token ${unknownKey}` }, "malformed_credentials"],
      ["unknown", bearer(unknownKey), "unknown_key"],
    ];
    for (const [label, headers, reason] of cases) {
      const requestId = `req-${label.replace(" ", "-")}`;
      const response = await fetch(`${app.url}/v1/whoami`, {
        headers: { ...headers, "x-request-id": requestId },
      });
      expect(response.status, label).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="accounts"');
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("x-request-id")).toBe(requestId);
      const problem = await response.json();
      expect(problem).toMatchObject({ status: 401, code: "unauthorized", requestId });
      await app.audit.flush();
      const rows = (await auditRows("auth.failed")).filter((row) => row.request_id === requestId);
      expect(rows, label).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        ip: "127.0.0.1",
        details: { reason, method: "GET", path: "/v1/whoami" },
      });
    }
    const unknownRow = (await auditRows("auth.failed")).find((row) => row.request_id === "req-unknown");
    expect(unknownRow?.details).toMatchObject({ keyPrefix: unknownKey.slice(0, 19), scheme: "bearer" });
  });

  it("refuses a revoked key once the registry has refreshed", async () => {
    const app = await serveApp();
    const { key, id } = await createClient(["operations:read"]);
    expect((await fetch(`${app.url}/v1/whoami`, { headers: bearer(key) })).status).toBe(200);
    expect(await revokeClient(db, id)).toBe(true);
    await waitFor(
      async () => (await fetch(`${app.url}/v1/whoami`, { headers: bearer(key) })).status === 401,
      {
        timeoutMs: 5_000,
        message: "revoked key refused",
      },
    );
  });

  it("accepts a key created after start at its first use", async () => {
    const app = await serveApp();
    const { key } = await createClient(["operations:read"]);
    expect((await fetch(`${app.url}/v1/whoami`, { headers: bearer(key) })).status).toBe(200);
  });

  it("answers 403 naming the missing scope, and audits it", async () => {
    const app = await serveApp();
    const { key, id } = await createClient(["operations:write", "admin"]);
    const response = await fetch(`${app.url}/v1/whoami`, { headers: bearer(key) });
    expect(response.status).toBe(403);
    const problem = (await response.json()) as { code: string; detail: string };
    expect(problem).toMatchObject({ code: "forbidden" });
    expect(problem.detail).toContain("operations:read");
    await app.audit.flush();
    expect((await auditRows("auth.forbidden")).filter((row) => row.client_id === id)).toMatchObject([
      { details: { scope: "operations:read", path: "/v1/whoami" } },
    ]);
  });

  it("audits admin actions", async () => {
    const admin = await createClient(["admin"]);
    const reader = await createClient(["operations:read"]);
    const app = await serveApp();
    const response = await fetch(`${app.url}/v1/admin/things`, {
      method: "POST",
      headers: bearer(admin.key),
    });
    expect(response.status).toBe(202);
    await app.audit.flush();
    expect((await auditRows("admin.action")).filter((row) => row.client_id === admin.id)).toMatchObject([
      { ip: "127.0.0.1", details: { method: "POST", path: "/v1/admin/things", status: 202 } },
    ]);
    expect(
      (await fetch(`${app.url}/v1/admin/things`, { method: "POST", headers: bearer(reader.key) })).status,
    ).toBe(403);
  });

  it("lets a browser into the dashboard with HTTP Basic and challenges it to ask", async () => {
    const admin = await createClient(["admin"]);
    const reader = await createClient(["operations:read"]);
    const app = await serveApp();
    const anonymous = await fetch(`${app.url}/admin/queues/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="accounts", Bearer realm="accounts"');
    expect((await fetch(`${app.url}/admin/queues/`, { headers: basic("ops", admin.key) })).status).toBe(200);
    expect((await fetch(`${app.url}/admin/queues/`, { headers: basic(admin.key, "") })).status).toBe(200);
    expect((await fetch(`${app.url}/admin/queues/`, { headers: bearer(admin.key) })).status).toBe(200);
    expect((await fetch(`${app.url}/admin/queues/`, { headers: basic("ops", reader.key) })).status).toBe(403);
    expect((await fetch(`${app.url}/admin/queues/`, { headers: basic("ops", "hunter2") })).status).toBe(401);
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After past the client's rate limit", async () => {
    const app = await serveApp();
    const { key } = await createClient(["operations:read"], 3);
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${app.url}/v1/whoami`, { headers: bearer(key) });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
      else await response.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(limited?.headers.get("retry-after")).toBe("1");
    expect(await limited?.json()).toMatchObject({ code: "rate_limited", status: 429 });
  });

  it("blocks an address that keeps failing, before reading its key, and audits the failures", async () => {
    const app = await serveApp({ failuresPerMinute: 5 });
    const { key: validKey } = await createClient(["operations:read"]);
    const guesses = Array.from({ length: 8 }, () => generateApiKey().key);
    allKeys.push(...guesses);
    const statuses: number[] = [];
    let blocked: Response | undefined;
    for (const guess of guesses) {
      const response = await fetch(`${app.url}/v1/whoami`, { headers: bearer(guess) });
      statuses.push(response.status);
      if (response.status === 429) blocked = response;
      else await response.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(Number(blocked?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await blocked?.json()).toMatchObject({ code: "rate_limited" });
    // Even the right key waits: the address is blocked before any key is read.
    expect((await fetch(`${app.url}/v1/whoami`, { headers: bearer(validKey) })).status).toBe(429);

    await app.audit.flush();
    const prefixes = new Set(guesses.map((guess) => guess.slice(0, 19)));
    const rows = (await auditRows("auth.failed")).filter((row) =>
      prefixes.has(String(row.details.keyPrefix)),
    );
    expect(rows).toHaveLength(5);
    expect(rows.every((row) => row.ip === "127.0.0.1" && row.details.reason === "unknown_key")).toBe(true);
    expect(rows.at(-1)?.details).toMatchObject({ blocked: true });
    for (const row of rows) for (const guess of guesses) expect(JSON.stringify(row)).not.toContain(guess);
  });
});
