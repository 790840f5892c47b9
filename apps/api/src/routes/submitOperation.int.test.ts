import { describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { useInProcessApi } from "../testing/inProcessApi.ts";

// POST /v1/operations on the app createServices wires (real authentication, PostgreSQL, Redis and
// queues); no worker runs, so operations stay accepted.

const t = useInProcessApi({
  writer: ["operations:write", "operations:read"],
  reader: ["operations:read", "accounts:read"],
});

const credit = (userId: string, amount = "1.5", extra: Record<string, unknown> = {}) => ({
  type: "credit",
  account: { userId, currency: "USD" },
  amount,
  ...extra,
});
const submit = (body: unknown, headers: Record<string, string> = {}, client: string | null = "writer") =>
  t().call(client, "POST", "/v1/operations", body, headers);

describe("POST /v1/operations: happy", () => {
  it("answers 202 with the operation's id and Location, and the operation is readable at once", async () => {
    const res = await submit(credit("sub-a"));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string; acceptedAt: string };
    expect(body).toMatchObject({ id: expect.stringMatching(/^op_/), status: "accepted" });
    expect(body.acceptedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.headers.get("location")).toBe(`/v1/operations/${body.id}`);
    const read = await t().call("writer", "GET", `/v1/operations/${body.id}`);
    expect(await read.json()).toMatchObject({ id: body.id, type: "credit", status: "accepted" });
  });

  it("replays an Idempotency-Key with the same body: the same operation, marked replayed, stored once", async () => {
    const before = await t().waitingOperations();
    const first = await submit(credit("sub-b"), { "idempotency-key": "sub-b-1" });
    const again = await submit(credit("sub-b"), { "idempotency-key": "sub-b-1" });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    expect((await t().waitingOperations()) - before).toBe(1);
  });
});

describe("POST /v1/operations: errors", () => {
  it("is 409 idempotency_key_reused for a key used with another body", async () => {
    await submit(credit("sub-c", "1"), { "idempotency-key": "sub-c-1" });
    const res = await submit(credit("sub-c", "2"), { "idempotency-key": "sub-c-1" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: "idempotency_key_reused", status: 409 });
  });

  it("is 400 listing every field: an amount finer than its currency, an unknown currency, a private callback", async () => {
    const before = await t().waitingOperations();
    const fine = await submit(credit("sub-d", "1.001"));
    expect(fine.status).toBe(400);
    expect(await fine.json()).toMatchObject({ code: "invalid_request", errors: [{ path: "amount" }] });
    const unknown = await submit({ ...credit("sub-d"), account: { userId: "sub-d", currency: "ZZZ" } });
    expect(await unknown.json()).toMatchObject({ errors: [{ path: "account.currency" }] });
    const hook = await submit(credit("sub-d", "1", { callbackUrl: "https://127.0.0.1/hook" }));
    expect(await hook.json()).toMatchObject({ errors: [{ path: "callbackUrl" }] });
    const key = await submit(credit("sub-d"), { "idempotency-key": "with space" });
    expect(await key.json()).toMatchObject({ errors: [{ path: "header.idempotency-key" }] });
    expect(await t().waitingOperations()).toBe(before);
  });

  it("is 415 for a body that is not JSON, 413 for one over 64 KiB", async () => {
    const text = await submit(JSON.stringify(credit("sub-e")), { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    const large = await submit(credit("sub-e", "1", { metadata: { pad: "x".repeat(70_000) } }));
    expect(large.status, await large.clone().text()).toBe(413);
    expect(await large.json()).toMatchObject({ code: "payload_too_large" });
  });

  it("is 503 with Retry-After, nothing stored, while Redis is too full to take more", async () => {
    const { api } = t();
    const full = createApp({ ...api.app, services: { ...api.services, redisFull: () => true } });
    const before = await t().waitingOperations();
    const res = await full.request("/v1/operations", {
      method: "POST",
      headers: { authorization: `Bearer ${t().client("writer").key}`, "content-type": "application/json" },
      body: JSON.stringify(credit("sub-f")),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await t().waitingOperations()).toBe(before);
  });
});

describe("POST /v1/operations: security", () => {
  it("is 401 without a key or with an unknown one, 403 for a key without operations:write; nothing stored", async () => {
    const before = await t().waitingOperations();
    expect((await submit(credit("sub-g"), {}, null)).status).toBe(401);
    const unknown = await t().app.request("/v1/operations", {
      method: "POST",
      headers: { authorization: `Bearer ${t().client("writer").key}x`, "content-type": "application/json" },
      body: JSON.stringify(credit("sub-g")),
    });
    expect(unknown.status).toBe(401);
    const forbidden = await submit(credit("sub-g"), {}, "reader");
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: "forbidden" });
    expect(await t().waitingOperations()).toBe(before);
  });

  it("never takes a system account from a caller", async () => {
    const res = await submit(credit("@external"));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errors: [{ path: "account.userId" }] });
  });
});
