import { applyOperationBatch, createDb, createPool, type Db, insertDeliveryAttempt } from "@accounts/db";
import { newOperationId, newQueuedOperation, type Scope } from "@accounts/domain";
import { createRedis, markAccepted, type OperationStateStore, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase } from "@accounts/tests/harness";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireScope } from "../auth/requireScope.ts";
import type { ApiEnv, AuthenticatedClient } from "../http/context.ts";
import { ApiError, renderProblem } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { deliveriesRoute } from "./deliveries.ts";

const quietLog = createLogger({ service: "test", level: "silent" });

// Real PostgreSQL and Redis. Authentication is stood in for by a header naming the client (the auth
// middleware has its own tests); the scope check is the real one.

const database = useTestDatabase();
let db: Db;
let redis: RedisClient;
let states: OperationStateStore;
let app: OpenAPIHono<ApiEnv>;

const clients: Record<string, AuthenticatedClient> = {
  alice: { id: "cl_alice", name: "alice", scopes: new Set<Scope>(["operations:read"]), rateLimit: 100 },
  bob: { id: "cl_bob", name: "bob", scopes: new Set<Scope>(["operations:read"]), rateLimit: 100 },
  writer: { id: "cl_alice", name: "writer", scopes: new Set<Scope>(["operations:write"]), rateLimit: 100 },
};

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 4 }));
  redis = createRedis({ url: harnessRedisUrl() }, "commands", quietLog);
  states = { redis, namespace: uniquePrefix("deliveries"), ttlSeconds: 60 };
  app = newRouter();
  app.use("*", async (c, next) => {
    c.set("requestId", "req-1");
    c.set("log", createLogger({ service: "test", level: "silent" }));
    const client = clients[c.req.header("x-test-client") ?? ""];
    if (client) c.set("client", client);
    await next();
  });
  app.route("/", deliveriesRoute({ db, states, requireScope: (scope) => requireScope(scope) }));
  app.onError((error, c) =>
    error instanceof ApiError
      ? renderProblem(c, error.code, error.message)
      : renderProblem(c, "internal", String(error)),
  );
});
afterAll(async () => {
  redis?.disconnect();
  await db?.destroy();
});

async function applied(clientId: string): Promise<string> {
  const op = newQueuedOperation(
    {
      type: "credit",
      account: { userId: `dl-${Date.now()}-${Math.random()}`, currency: "BTC" },
      amount: "1",
      callbackUrl: "https://hooks.example.com/x",
    },
    clientId,
    "test",
  );
  await applyOperationBatch(db, { partition: 0, operations: [op], scales: new Map([["BTC", 8]]) });
  return op.id;
}

const get = (id: string, client = "alice") =>
  app.request(`/v1/operations/${id}/deliveries`, { headers: { "x-test-client": client } });

describe("GET /v1/operations/{id}/deliveries", () => {
  it("lists the attempts oldest first: statusCode when answered, error when not", async () => {
    const id = await applied("cl_alice");
    const base = { operation_id: id, client_id: "cl_alice", url: "https://hooks.example.com/x" };
    const t0 = new Date("2026-11-27T06:00:00.000Z");
    await insertDeliveryAttempt(db, {
      ...base,
      attempt: 2,
      at: new Date(t0.getTime() + 1000),
      status_code: 500,
      error: null,
      duration_ms: 12,
    });
    await insertDeliveryAttempt(db, {
      ...base,
      attempt: 1,
      at: t0,
      status_code: null,
      error: "no answer within 10000 ms",
      duration_ms: 10_000,
    });
    await insertDeliveryAttempt(db, {
      ...base,
      attempt: 3,
      at: new Date(t0.getTime() + 3000),
      status_code: 204,
      error: null,
      duration_ms: 7,
    });

    const res = await get(id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      deliveries: [
        {
          attempt: 1,
          at: "2026-11-27T06:00:00.000Z",
          error: "no answer within 10000 ms",
          durationMs: 10_000,
        },
        { attempt: 2, at: "2026-11-27T06:00:01.000Z", statusCode: 500, durationMs: 12 },
        { attempt: 3, at: "2026-11-27T06:00:03.000Z", statusCode: 204, durationMs: 7 },
      ],
    });
  });

  it("is empty for an operation without attempts yet, final or still pending", async () => {
    const id = await applied("cl_alice");
    expect(await (await get(id)).json()).toEqual({ deliveries: [] });
    const pendingId = newOperationId();
    await markAccepted(states, [{ id: pendingId, clientId: "cl_alice", type: "credit" }]);
    const res = await get(pendingId);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deliveries: [] });
    expect((await get(pendingId, "bob")).status).toBe(404);
  });

  it("answers 404 for another client's operation, an unknown id and a malformed one", async () => {
    const id = await applied("cl_alice");
    await insertDeliveryAttempt(db, {
      operation_id: id,
      client_id: "cl_alice",
      url: "https://hooks.example.com/x",
      attempt: 1,
      at: new Date(),
      status_code: 204,
      error: null,
      duration_ms: 3,
    });
    for (const [target, client] of [
      [id, "bob"],
      [newOperationId(), "alice"],
      ["op_not-an-id", "alice"],
      ["..%2F..%2Fadmin", "alice"],
      ["x".repeat(65), "alice"],
    ] as const) {
      const res = await get(target, client);
      expect(res.status, `${target} as ${client}`).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe("not_found");
      expect(JSON.stringify(problem)).not.toContain("hooks.example.com");
    }
  });

  it("needs the operations:read scope", async () => {
    const id = await applied("cl_alice");
    const res = await get(id, "writer");
    expect(res.status).toBe(403);
  });

  it("appears in the OpenAPI document", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    const path = doc.paths?.["/v1/operations/{id}/deliveries"];
    expect(path?.get?.responses?.["200"]).toBeDefined();
    expect(doc.components?.schemas?.DeliveryAttempt).toBeDefined();
  });
});
