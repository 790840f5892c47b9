import { createDb, createPool, type Db, insertClient } from "@accounts/db";
import { generateApiKey, generateWebhookSecret, hashApiKey, newClientId } from "@accounts/domain";
import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The audit log of the running API: admin actions (POST /v1/currencies, the dashboard's actions),
// failed authentications and refused scopes each leave one row; reads and refusals are not admin actions.

let stack: AppStack;
let db: Db;
let readerKey: string;

beforeAll(async () => {
  stack = await startAppStack({ workers: 0 });
  db = createDb(createPool(stack.databaseUrl, { max: 2 }));
  const { key, prefix } = generateApiKey();
  await insertClient(db, {
    id: newClientId(),
    name: "audit-reader",
    keyHash: hashApiKey(key),
    keyPrefix: prefix,
    scopes: ["operations:read"],
    webhookSecret: generateWebhookSecret(),
  });
  readerKey = key;
}, scaledTimeout(60_000));

afterAll(async () => {
  await db?.destroy();
  await stack?.stop();
});

const rows = (event: string) =>
  db
    .selectFrom("audit_log")
    .select(["event", "client_id", "ip", "details"])
    .where("event", "=", event)
    .execute();

describe("audit_log rows written by the API", () => {
  it("registering a currency is an audited admin action; a refused attempt is audited as forbidden only", async () => {
    const headers = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
    const created = await fetch(`${stack.apiUrl}/v1/currencies`, {
      method: "POST",
      headers: headers(stack.apiKey),
      body: JSON.stringify({ code: "SOL", scale: 9 }),
    });
    expect(created.status).toBe(201);
    const refused = await fetch(`${stack.apiUrl}/v1/currencies`, {
      method: "POST",
      headers: headers(readerKey),
      body: JSON.stringify({ code: "DOGE", scale: 8 }),
    });
    expect(refused.status).toBe(403);
    expect((await fetch(`${stack.apiUrl}/v1/currencies`, { headers: headers(stack.apiKey) })).status).toBe(
      200,
    );

    const actions = await waitFor(async () => {
      const found = await rows("admin.action");
      return found.length > 0 ? found : undefined;
    });
    expect(actions).toEqual([
      {
        event: "admin.action",
        client_id: expect.stringMatching(/^cl_/),
        ip: "127.0.0.1",
        details: { method: "POST", path: "/v1/currencies", status: 201 },
      },
    ]);
    const forbidden = await waitFor(async () => {
      const found = await rows("auth.forbidden");
      return found.length > 0 ? found : undefined;
    });
    expect(forbidden).toMatchObject([
      { details: { scope: "admin", method: "POST", path: "/v1/currencies" } },
    ]);
  });

  it("a dashboard request without credentials is a failed authentication", async () => {
    expect((await fetch(`${stack.apiUrl}/admin/queues`)).status).toBe(401);
    const failed = await waitFor(async () => {
      const found = (await rows("auth.failed")).filter((row) =>
        JSON.stringify(row.details).includes("/admin/queues"),
      );
      return found.length > 0 ? found : undefined;
    });
    expect(failed[0]?.details).toMatchObject({
      reason: "missing_credentials",
      method: "GET",
      path: "/admin/queues",
    });
  });
});
