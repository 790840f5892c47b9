import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ApiEnv } from "./context.ts";
import { requestIdMiddleware } from "./requestId.ts";

function app(): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use("*", requestIdMiddleware());
  app.get("/json", (c) => c.json({ ok: true }, 202));
  app.get("/header-then-json", (c) => {
    c.header("Location", "/somewhere");
    return c.json({ ok: true });
  });
  app.get("/response", () => new Response("built by hand", { status: 401, headers: { "x-other": "1" } }));
  app.get("/throws", () => {
    throw new Error("boom");
  });
  app.onError((_error, c) => c.json({ error: true }, 500));
  app.notFound((c) => c.json({ missing: true }, 404));
  return app;
}

describe("requestIdMiddleware", () => {
  it.each(["/json", "/header-then-json", "/response", "/throws", "/nowhere"])(
    "puts the request id on the answer of %s",
    async (path) => {
      const res = await app().request(path, { headers: { "x-request-id": "req-42" } });
      expect(res.headers.get("x-request-id")).toBe("req-42");
    },
  );

  it("keeps the answer's own headers and body", async () => {
    const handBuilt = await app().request("/response");
    expect(handBuilt.status).toBe(401);
    expect(handBuilt.headers.get("x-other")).toBe("1");
    expect(await handBuilt.text()).toBe("built by hand");
    const withLocation = await app().request("/header-then-json");
    expect(withLocation.headers.get("location")).toBe("/somewhere");
    expect(await withLocation.json()).toEqual({ ok: true });
  });

  it("makes a new id when the incoming one is not plain", async () => {
    const res = await app().request("/json", { headers: { "x-request-id": "bad id with spaces" } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
