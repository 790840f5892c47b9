import { generateWebhookSecret } from "@accounts/domain";
import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient, type TestClient } from "./support/apiClients.ts";
import { expectProblem, HttpApi, type JsonObject } from "./support/httpApi.ts";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./support/webhookReceiver.ts";

// Webhooks end to end: signed per Standard Webhooks, retried until a 2xx, every attempt listed.

let stack: AppStack;
let client: TestClient;
let api: HttpApi;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // `/flaky...` paths fail their first two requests with a 500.
  receiver = await startWebhookReceiver((request, earlier) =>
    request.path.startsWith("/flaky") && earlier < 2 ? 500 : 204,
  );
  stack = await startAppStack({
    workers: 2,
    env: { WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOWLIST: "127.0.0.1" },
  });
  client = await createApiClient(stack, {
    name: "webhook-caller",
    scopes: ["operations:write", "operations:read", "accounts:read"],
  });
  api = new HttpApi(stack.apiUrl, client.key);
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const credit = (userId: string, callbackUrl?: string): JsonObject => ({
  type: "credit",
  account: { userId, currency: "USDT" },
  amount: "12.5",
  ...(callbackUrl !== undefined ? { callbackUrl } : {}),
});

function received(path: string, count: number): Promise<ReceivedWebhook[]> {
  return waitFor(() => (receiver.on(path).length >= count ? receiver.on(path) : undefined), {
    timeoutMs: scaledTimeout(20_000),
    message: `${count} webhook request(s) on ${path}`,
  });
}

async function receivedOne(path: string): Promise<ReceivedWebhook> {
  const [webhook] = await received(path, 1);
  if (!webhook) throw new Error(`no webhook on ${path}`);
  return webhook;
}

/** Verifies the signature with the client's secret (throws when it does not verify) and returns the body. */
function verified(webhook: ReceivedWebhook, secret = client.webhookSecret): unknown {
  return new Webhook(secret).verify(webhook.body, webhook.headers);
}

describe("delivery", () => {
  it("POSTs the final representation, signed with the client's secret", async () => {
    const id = await api.accept(credit("hook-1", `${receiver.url}/ok/1`));
    const webhook = await receivedOne("/ok/1");
    const final = await api.final(id);
    expect(webhook.method).toBe("POST");
    expect(webhook.headers["content-type"]).toMatch(/^application\/json/);
    expect(webhook.headers["webhook-id"]).toBeTruthy();
    expect(webhook.headers["webhook-signature"]).toMatch(/^v1,/);
    const payload = verified(webhook);
    expect(payload).toEqual(final);
    expect(final).toMatchObject({ id, status: "applied", request: { callbackUrl: `${receiver.url}/ok/1` } });
    // The signature really depends on the secret.
    expect(() => verified(webhook, generateWebhookSecret())).toThrow();
    expect(() => verified({ ...webhook, body: `${webhook.body} ` })).toThrow();

    const deliveries = await api.call<{ deliveries: JsonObject[] }>("GET", `/v1/operations/${id}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.deliveries).toEqual([
      { attempt: 1, at: expect.any(String), statusCode: 204, durationMs: expect.any(Number) },
    ]);
  });

  it("notifies a rejection too: every final state fires", async () => {
    const id = await api.accept({
      type: "debit",
      account: { userId: "hook-2", currency: "USDT" },
      amount: "1",
      callbackUrl: `${receiver.url}/ok/2`,
    });
    const webhook = await receivedOne("/ok/2");
    expect(verified(webhook)).toEqual(await api.final(id));
    expect(await api.final(id)).toMatchObject({
      status: "rejected",
      rejection: { code: "insufficient_funds" },
    });
  });

  it("retries a receiver that fails twice, then lists the three attempts", async () => {
    const id = await api.accept(credit("hook-3", `${receiver.url}/flaky/3`));
    const attempts = await received("/flaky/3", 3);
    const final = await api.final(id);
    for (const attempt of attempts) expect(verified(attempt)).toEqual(final);
    // One event, whatever the attempt: the id is stable across retries.
    expect(new Set(attempts.map((a) => a.headers["webhook-id"])).size).toBe(1);

    const deliveries = await waitFor(
      async () => {
        const reply = await api.call<{ deliveries: JsonObject[] }>("GET", `/v1/operations/${id}/deliveries`);
        return reply.body.deliveries.length === 3 ? reply.body.deliveries : undefined;
      },
      { message: "three attempts recorded" },
    );
    expect(deliveries.map((d) => [d.attempt, d.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 204],
    ]);
    const times = deliveries.map((d) => Date.parse(d.at as string));
    expect(times.every((t, i) => i === 0 || t > (times[i - 1] as number))).toBe(true);
    for (const d of deliveries) expect(d.durationMs).toEqual(expect.any(Number));
  });

  it("lists no deliveries for an operation without a callback URL", async () => {
    const id = await api.accept(credit("hook-4"));
    await api.final(id);
    const reply = await api.call("GET", `/v1/operations/${id}/deliveries`);
    expect(reply.body).toEqual({ deliveries: [] });
  });
});

describe("callback URL guard", () => {
  const refused = [
    "https://10.1.2.3/x",
    "https://169.254.169.254/",
    "https://169.254.169.254/latest/meta-data/",
    "https://192.168.1.1/hook",
    "https://[::1]/x",
    "https://[::ffff:10.0.0.1]/x",
    "https://[fd00:ec2::254]/",
    "http://127.0.0.2:8080/not-allow-listed",
    "http://2130706434/decimal-form-of-127.0.0.2",
    "https://localhost/x",
  ];

  it.each(refused)("refuses %s at submit (400 naming callbackUrl)", async (url) => {
    expectProblem(await api.submit(credit("hook-5", url)), 400, "invalid_request", ["callbackUrl"]);
  });

  it("refuses other schemes, and names the item in a batch", async () => {
    expectProblem(await api.submit(credit("hook-5", "ftp://example.com/x")), 400, "invalid_request", [
      "callbackUrl",
    ]);
    const batch = await api.call("POST", "/v1/operations/batch", {
      json: { operations: [credit("hook-5"), credit("hook-5", "https://10.1.2.3/x")] },
    });
    expectProblem(batch, 400, "invalid_request", ["operations.1.callbackUrl"]);
    expect(await api.balance("hook-5", "USDT")).toMatchObject({ version: 0 });
  });
});
