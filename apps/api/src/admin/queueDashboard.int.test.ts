import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, createPool, type Db, insertClient } from "@accounts/db";
import { generateApiKey, generateWebhookSecret, hashApiKey, newClientId, type Scope } from "@accounts/domain";
import { createRedis, partitionQueue, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase, waitFor } from "@accounts/tests/harness";
import { serve } from "@hono/node-server";
import { Queue, UnrecoverableError, Worker } from "bullmq";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAdminActions } from "../auth/auditAdminActions.ts";
import { AuditLogWriter } from "../auth/auditLog.ts";
import { authenticate } from "../auth/authenticate.ts";
import { ClientRegistry } from "../auth/clientRegistry.ts";
import { AuthFailureLimiter } from "../auth/rateLimit.ts";
import { requireScope } from "../auth/requireScope.ts";
import type { ApiEnv } from "../http/context.ts";
import { ApiError, renderProblem } from "../http/errors.ts";
import { requestIdMiddleware } from "../http/requestId.ts";
import { type CatalogQueues, openCatalogQueues } from "./catalogQueues.ts";
import { DASHBOARD_PATH, queueDashboard } from "./queueDashboard.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// Real: PostgreSQL (clients, audit log), Redis (the catalog's queues under a unique namespace),
// bull-board and its static files, the Node HTTP server. The dashboard is built in a temporary
// folder that holds nothing of the project, and serves its files from yet another one: it must not
// depend on the working directory, at start or later.

const database = useTestDatabase();
const namespace = uniquePrefix("dash").toLowerCase().slice(0, 32);
const catalog = { namespace, partitions: 2 };
const log = createLogger({ service: "api-test", level: "silent" });
const startedIn = process.cwd();
const elsewhere = mkdtempSync(join(tmpdir(), "dashboard-cwd-"));
// Deeper than the first: a path relative to the first resolves elsewhere from here.
const later = join(elsewhere, "deeper", "still");
mkdirSync(later, { recursive: true });
let db: Db;
let redis: RedisClient;
let queues: CatalogQueues;
let registry: ClientRegistry;
let audit: AuditLogWriter;
let url: string;
let close: () => Promise<void>;
let admin: { key: string; id: string };
let reader: { key: string; id: string };

async function createClient(scopes: Scope[]): Promise<{ key: string; id: string }> {
  const { key, prefix } = generateApiKey();
  const client = await insertClient(db, {
    id: newClientId(),
    name: `dash-${scopes.join("+")}`,
    keyHash: hashApiKey(key),
    keyPrefix: prefix,
    scopes,
    webhookSecret: generateWebhookSecret(),
  });
  return { key, id: client.id };
}

const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`ops:${key}`).toString("base64")}` });

beforeAll(async () => {
  process.chdir(elsewhere);
  db = createDb(createPool(database.url(), { max: 4 }));
  redis = createRedis({ url: harnessRedisUrl() }, "queue", quietLog);
  queues = openCatalogQueues(redis, catalog);
  // Made before the registry loads: a key made later waits for its next reload.
  admin = await createClient(["admin"]);
  reader = await createClient(["operations:read"]);
  registry = ClientRegistry.forDatabase(db, log, { refreshIntervalMs: 100 });
  await registry.start();
  audit = AuditLogWriter.forDatabase(db, log, { flushIntervalMs: 10 });
  const failures = new AuthFailureLimiter({ failuresPerMinute: 1000 });
  const app = new Hono<ApiEnv>();
  app.use("*", requestIdMiddleware(), async (c, next) => {
    c.set("log", log);
    await next();
  });
  app.route(
    DASHBOARD_PATH,
    queueDashboard({
      queues: queues.queues,
      authenticate: authenticate(registry, audit, { failures, basicRealm: "accounts" }),
      requireAdmin: requireScope("admin", audit),
      auditActions: auditAdminActions(audit),
    }),
  );
  app.onError((error, c) =>
    error instanceof ApiError
      ? renderProblem(c, error.code, error.message)
      : renderProblem(c, "internal", String(error)),
  );
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${DASHBOARD_PATH}`;
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  process.chdir(startedIn);
  rmSync(elsewhere, { recursive: true, force: true });
  await close?.();
  await queues?.close();
  registry?.close();
  await audit?.close();
  redis?.disconnect();
  await db?.destroy();
});

describe("the queue dashboard", () => {
  it("refuses anonymous and non-admin callers, with a Basic challenge so that browsers prompt", async () => {
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain('Basic realm="accounts"');
    expect((await fetch(url, { headers: basic(reader.key) })).status).toBe(403);
    expect((await fetch(`${url}/static/js/main.js`)).status).toBe(401);
  });

  it("serves its page and static files from any working directory", async () => {
    process.chdir(later);
    const page = await fetch(url, { headers: basic(admin.key) });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<base href="${DASHBOARD_PATH}/"`);
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const asset = await fetch(new URL(script, `${url}/`), { headers: basic(admin.key) });
      expect(asset.status, script).toBe(200);
      expect(asset.headers.get("content-type")).toMatch(/javascript/);
      await asset.arrayBuffer();
    }
  });

  it("lists every queue of the catalog under a readable name", async () => {
    const res = await fetch(`${url}/api/queues`, { headers: { authorization: `Bearer ${admin.key}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string; displayName?: string }[] };
    expect(body.queues.map((queue) => [queue.name, queue.displayName]).sort()).toEqual([
      ["maintenance", "Maintenance"],
      ["ops-00", "Partition 00"],
      ["ops-01", "Partition 01"],
      ["webhooks", "Webhook deliveries"],
    ]);
  });

  it("retries a failed job, audited; refuses the actions that would break a guarantee", async () => {
    const ref = partitionQueue(catalog, 1);
    const producer = new Queue(ref.name, { connection: redis, prefix: ref.prefix });
    const job = await producer.add("apply", { v: 1, operations: "not a list" });
    const failing = new Worker(
      ref.name,
      async () => {
        throw new UnrecoverableError("malformed apply job");
      },
      { connection: createRedis({ url: harnessRedisUrl() }, "consumer", quietLog), prefix: ref.prefix },
    );
    await waitFor(async () => (await job.getState()) === "failed", { message: "job failed" });
    await failing.close();

    const refused = await fetch(`${url}/api/queues/${ref.name}/concurrency`, {
      method: "PUT",
      headers: { ...basic(admin.key), "content-type": "application/json" },
      body: JSON.stringify({ concurrency: 5 }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/global concurrency of 1/);

    const retried = await fetch(`${url}/api/queues/${ref.name}/${job.id}/retry`, {
      method: "PUT",
      headers: basic(admin.key),
    });
    expect([200, 204]).toContain(retried.status);
    expect(await producer.getJobState(job.id as string)).toBe("waiting");
    await producer.close();

    await audit.flush();
    const rows = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("event", "=", "admin.action")
      .where("client_id", "=", admin.id)
      .execute();
    expect(rows.map((row) => row.details)).toEqual([
      {
        method: "PUT",
        path: `${DASHBOARD_PATH}/api/queues/${ref.name}/${job.id}/retry`,
        status: retried.status,
      },
    ]);
  });
});
