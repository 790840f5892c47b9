import { createDb, createPool, type Db, finishMaintenanceRun } from "@accounts/db";
import type { Scope } from "@accounts/domain";
import { createRedis, type MaintenanceJob, maintenanceQueue, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase } from "@accounts/tests/harness";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireScope } from "../auth/requireScope.ts";
import type { ApiEnv, AuthenticatedClient } from "../http/context.ts";
import { ApiError, renderProblem } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { adminMaintenanceRoutes, enqueueOnQueue } from "./adminMaintenance.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// Real PostgreSQL and a real BullMQ queue on the harness's Redis. Authentication is stood in for by a
// header naming the client (the auth middleware has its own tests); the scope check is the real one.

const database = useTestDatabase();
let db: Db;
let connection: RedisClient;
let queue: Queue<MaintenanceJob>;
let app: OpenAPIHono<ApiEnv>;
let queueUp = true;

const clients: Record<string, AuthenticatedClient> = {
  ops: { id: "cl_ops", name: "ops", scopes: new Set<Scope>(["admin"]), rateLimit: 100 },
  trader: {
    id: "cl_trader",
    name: "trader",
    scopes: new Set<Scope>(["operations:write", "operations:read", "accounts:read"]),
    rateLimit: 100,
  },
};

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 3 }));
  connection = createRedis({ url: harnessRedisUrl() }, "queue", quietLog);
  const ref = maintenanceQueue({
    namespace: uniquePrefix("admin").toLowerCase().slice(0, 32),
    partitions: 1,
  });
  queue = new Queue<MaintenanceJob>(ref.name, { connection, prefix: ref.prefix });
  const enqueue = enqueueOnQueue(queue);
  app = newRouter();
  app.use("*", async (c, next) => {
    c.set("requestId", "req-1");
    c.set("log", createLogger({ service: "test", level: "silent" }));
    const client = clients[c.req.header("x-test-client") ?? ""];
    if (client) c.set("client", client);
    await next();
  });
  app.route(
    "/",
    adminMaintenanceRoutes({
      db,
      requireScope: (scope) => requireScope(scope),
      enqueueMaintenance: async (job) => {
        if (!queueUp) throw new Error("Connection is closed.");
        await enqueue(job);
      },
    }),
  );
  app.onError((error, c) =>
    error instanceof ApiError
      ? renderProblem(c, error.code, error.message, error.options)
      : renderProblem(c, "internal", String(error)),
  );
});
afterAll(async () => {
  await queue?.obliterate({ force: true });
  await queue?.close();
  connection?.disconnect();
  await db?.destroy();
});

const post = (task: string, client = "ops") =>
  app.request(`/v1/admin/maintenance/${task}`, { method: "POST", headers: { "x-test-client": client } });
const list = (query = "", client = "ops") =>
  app.request(`/v1/admin/maintenance/runs${query}`, { headers: { "x-test-client": client } });

describe("POST /v1/admin/maintenance/{task}", () => {
  it("answers 202 with a run id, records the run and queues its job", async () => {
    const res = await post("backup");
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: number };
    expect(runId).toBeGreaterThan(0);
    const row = await db
      .selectFrom("maintenance_runs")
      .selectAll()
      .where("id", "=", runId)
      .executeTakeFirst();
    expect(row).toMatchObject({
      task: "backup",
      status: "running",
      trigger: "operator",
      finished_at: null,
      details: { clientId: "cl_ops", requestId: "req-1" },
    });
    const job = await queue.getJob(`run-${runId}`);
    expect(job?.name).toBe("backup");
    expect(job?.data).toEqual({ v: 1, task: "backup", trigger: "operator", runId });
    expect(job?.opts.attempts).toBe(1);
  });

  it("is 404 for an unknown task", async () => {
    for (const task of ["drop-everything", "runs", "BACKUP"]) {
      const res = await post(task);
      expect(res.status, task).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe("not_found");
    }
  });

  it("is 403 without the admin scope, and nothing is queued", async () => {
    const before = await queue.count();
    const res = await post("vacuum", "trader");
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe("forbidden");
    expect(await queue.count()).toBe(before);
    expect((await list("", "trader")).status).toBe(403);
  });

  it("answers 503 when the queue cannot take the job, and closes the run as failed", async () => {
    queueUp = false;
    try {
      const res = await post("reconcile");
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
    } finally {
      queueUp = true;
    }
    const [run] = await db
      .selectFrom("maintenance_runs")
      .selectAll()
      .orderBy("id", "desc")
      .limit(1)
      .execute();
    expect(run).toMatchObject({ task: "reconcile", status: "failed" });
    expect(run?.details.error).toContain("could not queue the run");
  });
});

describe("GET /v1/admin/maintenance/runs", () => {
  it("lists runs newest first, with a limit and a task filter", async () => {
    const ids: number[] = [];
    for (const task of ["vacuum", "partitions", "reconcile"]) {
      ids.push(((await (await post(task)).json()) as { runId: number }).runId);
    }
    await finishMaintenanceRun(db, ids[0] ?? 0, "succeeded", { tables: [] });

    const res = await list("?limit=2");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { runs: { id: number; task: string }[] };
    expect(body.runs.map((r) => r.id)).toEqual([ids[2], ids[1]]);

    const vacuums = (await (await list("?task=vacuum")).json()) as {
      runs: { id: number; status: string; startedAt: string; finishedAt: string | null; details: object }[];
    };
    const done = vacuums.runs.find((r) => r.id === ids[0]);
    expect(done).toMatchObject({ status: "succeeded", details: { tables: [] } });
    expect(done?.startedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(done?.finishedAt).toMatch(/Z$/);
    expect(vacuums.runs.every((r) => (r as unknown as { task: string }).task === "vacuum")).toBe(true);

    expect((await list("?limit=0")).status).toBe(400);
    expect((await list("?task=bogus")).status).toBe(400);
  });

  it("appears in the OpenAPI document", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    expect(doc.paths?.["/v1/admin/maintenance/{task}"]?.post?.responses?.["202"]).toBeDefined();
    expect(doc.paths?.["/v1/admin/maintenance/runs"]?.get).toBeDefined();
    expect(doc.components?.schemas?.MaintenanceRun).toBeDefined();
  });
});
