import { Writable } from "node:stream";
import { createLogger, createMetricsRegistry, RecentLatency } from "@accounts/runtime";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ApiEnv } from "../http/context.ts";
import { requestIdMiddleware } from "../http/requestId.ts";
import { createApiMetrics } from "./apiMetrics.ts";
import { observeRequests } from "./observeRequests.ts";

function setup(options: { logRequests?: boolean } = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      callback();
    },
  });
  const log = createLogger({ service: "api-test", destination });
  const metrics = createApiMetrics(createMetricsRegistry("api", { defaultMetrics: false }));
  const acceptLatency = new RecentLatency();
  let unavailable = 0;
  const app = new Hono<ApiEnv>();
  app.use("*", requestIdMiddleware(), async (c, next) => {
    c.set("log", log);
    await next();
  });
  app.use(
    "*",
    observeRequests({
      http: metrics.http,
      acceptLatency,
      onAcceptUnavailable: () => unavailable++,
      logRequests: options.logRequests ?? true,
    }),
  );
  app.use("/v1/*", async (c, next) => {
    if (!c.req.header("authorization")) return c.json({ code: "unauthorized" }, 401);
    c.set("client", { id: "cl_test", name: "t", scopes: new Set(), rateLimit: 1 });
    await next();
  });
  app.get("/v1/operations/:id", (c) => c.json({ id: c.req.param("id") }));
  app.post("/v1/operations", (c) => {
    if (c.req.header("x-full")) return c.json({}, 503);
    c.header("Location", "/v1/operations/op_01TEST");
    return c.json({}, 202);
  });
  app.get("/v1/boom", () => {
    throw new Error("boom");
  });
  app.onError((_, c) => c.json({ code: "internal" }, 500));
  return { app, metrics, lines, acceptLatency, unavailable: () => unavailable };
}

const auth = { authorization: "Bearer ak_x" };

describe("observeRequests", () => {
  it("labels requests by route pattern, never by path, and answers unmatched paths as (unmatched)", async () => {
    const { app, metrics } = setup();
    await app.request("/v1/operations/op_1", { headers: auth });
    await app.request("/v1/operations/op_2", { headers: auth });
    await app.request("/v1/operations/op_3");
    await app.request("/v1/no/such/thing/user-42", { headers: auth });
    await app.request("/v1/boom", { headers: auth });
    await app.request("/v1/operations/op_1", { method: "BREW", headers: auth });
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'accounts_http_requests_total{method="GET",route="/v1/operations/:id",status="200",service="api"} 2',
    );
    expect(text).toContain(
      'accounts_http_requests_total{method="GET",route="/v1/operations/:id",status="401",service="api"} 1',
    );
    expect(text).toContain(
      'accounts_http_requests_total{method="GET",route="(unmatched)",status="404",service="api"} 1',
    );
    expect(text).toContain(
      'accounts_http_requests_total{method="GET",route="/v1/boom",status="500",service="api"} 1',
    );
    expect(text).toMatch(
      /accounts_http_requests_total\{method="OTHER",route="[^"]+",status="404",service="api"\} 1/,
    );
    expect(text).not.toMatch(/op_1|op_2|user-42|BREW/);
    expect(text).toContain(
      'accounts_http_request_duration_seconds_count{service="api",method="GET",route="/v1/operations/:id"} 3',
    );
  });

  it("records the accept latency of accepted submissions and counts refused ones", async () => {
    const { app, acceptLatency, unavailable } = setup();
    await app.request("/v1/operations", { method: "POST", headers: auth });
    await app.request("/v1/operations", { method: "POST", headers: { ...auth, "x-full": "1" } });
    expect(acceptLatency.summary(0.95, 60_000).samples).toBe(1);
    expect(unavailable()).toBe(1);
  });

  it("logs one line per request with its id, route, path, status, duration and client, and no headers", async () => {
    const { app, lines } = setup();
    const res = await app.request("/v1/operations/op_1", { headers: { ...auth, "x-request-id": "req-1" } });
    expect(res.headers.get("x-request-id")).toBe("req-1");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: "request",
      level: "info",
      requestId: "req-1",
      method: "GET",
      route: "/v1/operations/:id",
      path: "/v1/operations/op_1",
      status: 200,
      ms: expect.any(Number),
      clientId: "cl_test",
    });
    expect(JSON.stringify(lines)).not.toContain("ak_x");
    await app.request("/v1/operations", { method: "POST", headers: auth });
    expect(lines[1]).toMatchObject({ route: "/v1/operations", status: 202, operationId: "op_01TEST" });
  });

  it("keeps the metrics but writes no line when request logging is off", async () => {
    const { app, lines, metrics } = setup({ logRequests: false });
    await app.request("/v1/operations/op_1", { headers: auth });
    expect(lines).toHaveLength(0);
    expect(await metrics.registry.metrics()).toContain('route="/v1/operations/:id",status="200"');
  });
});
