import { type AppStack, startAppStack, waitFor } from "@accounts/tests/harness";
import type { OpenAPI3 } from "openapi-typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiTypes } from "../../scripts/apiTypes.ts";
import { AccountsClient } from "../client.ts";
import {
  IdempotencyKeyReusedError,
  InvalidRequestError,
  NotFoundError,
  WebhookVerificationError,
} from "../errors.ts";
import { toMinorUnits } from "../money.ts";
import type { OperationRequest } from "../types.ts";
import { verifyWebhook } from "../webhooks.ts";
import { type Caller, createCaller, recordingFetch, runId, startReceiver } from "./support.ts";

// Every method of the client against the real API and worker processes, and webhook verification
// of real deliveries (typed errors: errors.int.test.ts).

let stack: AppStack;
let caller: Caller;
let otherCaller: Caller;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startAppStack({
    workers: 1,
    env: { WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOWLIST: "127.0.0.1" },
  });
  [caller, otherCaller] = await Promise.all([
    createCaller(stack, "client-tests", ["operations:write", "operations:read", "accounts:read"]),
    createCaller(stack, "other-hooks", ["operations:read"]),
  ]);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

function client(options: Partial<ConstructorParameters<typeof AccountsClient>[0]> = {}): AccountsClient {
  return new AccountsClient({ baseUrl: stack.apiUrl, apiKey: caller.apiKey, ...options });
}

const credit = (userId: string, amount: string, currency = "USDT"): OperationRequest => ({
  type: "credit",
  account: { userId, currency },
  amount,
});

describe("the generated wire types", () => {
  it("are what the API's OpenAPI document says (regenerate with -u when the API changed)", async () => {
    const document = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as OpenAPI3;
    await expect(await generateApiTypes(document)).toMatchFileSnapshot("../generated/api.ts");
  });
});

describe("submitting", () => {
  it("submit answers the accepted id; the same key and body again is a replay of it", async () => {
    const accounts = client();
    const user = runId("sub");
    const first = await accounts.submit(credit(user, "10"), { idempotencyKey: `${user}-1` });
    expect(first).toMatchObject({ status: "accepted", replayed: false, idempotencyKey: `${user}-1` });
    expect(first.id).toMatch(/^op_/);
    const applied = await accounts.waitForOperation(first.id, { timeoutMs: 20_000 });
    expect(applied).toMatchObject({ id: first.id, status: "applied", type: "credit" });
    const again = await accounts.submit(credit(user, "10"), { idempotencyKey: `${user}-1` });
    expect(again).toMatchObject({ id: first.id, status: "applied", replayed: true });
    expect((await accounts.balance(user, "USDT")).available).toBe("10.000000");
    await accounts.close();
  });

  it("submit without a key generates one per operation", async () => {
    const accounts = client();
    const user = runId("gen");
    const [a, b] = await Promise.all([
      accounts.submit(credit(user, "1")),
      accounts.submit(credit(user, "1")),
    ]);
    expect(a?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(a?.idempotencyKey).not.toBe(b?.idempotencyKey);
    expect(a?.id).not.toBe(b?.id);
    await accounts.close();
  });

  it("submit without batching posts each operation alone, with the same answers", async () => {
    const { fetch, sent } = recordingFetch();
    const accounts = client({ batching: false, fetch });
    const user = runId("single");
    const first = await accounts.submit(credit(user, "3"), { idempotencyKey: `${user}-k` });
    const again = await accounts.submit(credit(user, "3"), { idempotencyKey: `${user}-k` });
    expect(first).toMatchObject({ status: "accepted", replayed: false });
    expect(again).toMatchObject({ id: first.id, replayed: true });
    expect(sent.map((r) => r.path)).toEqual(["/v1/operations", "/v1/operations"]);
  });

  it("submitAndWait answers the final representation: applied, or rejected with its rejection", async () => {
    const accounts = client();
    const user = runId("wait");
    const applied = await accounts.submitAndWait(credit(user, "0.5", "BTC"), { timeoutMs: 20_000 });
    expect(applied.status).toBe("applied");
    expect(applied.balances).toEqual([
      expect.objectContaining({
        userId: user,
        currency: "BTC",
        available: "0.50000000",
        total: "0.50000000",
      }),
    ]);
    const rejected = await accounts.submitAndWait(
      { type: "debit", account: { userId: user, currency: "BTC" }, amount: "2" },
      { timeoutMs: 20_000 },
    );
    expect(rejected).toMatchObject({ status: "rejected", rejection: { code: "insufficient_funds" } });
    await accounts.close();
  });

  it("submitMany answers one result per item in order, an item's own error among them", async () => {
    const accounts = client();
    const user = runId("many");
    await accounts.submitAndWait(credit(user, "1"), { idempotencyKey: `${user}-taken`, timeoutMs: 20_000 });
    const results = await accounts.submitMany([
      { ...credit(user, "2"), idempotencyKey: `${user}-a` },
      { ...credit(user, "5"), idempotencyKey: `${user}-taken` },
      { type: "reserve", account: { userId: user, currency: "USDT" }, amount: "1" },
    ]);
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ ok: true, status: "accepted", idempotencyKey: `${user}-a` });
    expect(results[1]).toMatchObject({ ok: false, idempotencyKey: `${user}-taken` });
    const conflict = results[1] as { ok: false; error: unknown };
    expect(conflict.error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(results[2]).toMatchObject({ ok: true, status: "accepted" });
    for (const result of results)
      if (result.ok) await accounts.waitForOperation(result.id, { timeoutMs: 20_000 });
    expect(await accounts.balance(user, "USDT")).toMatchObject({
      available: "2.000000",
      reserved: "1.000000",
    });
    await accounts.close();
  });

  it("submitMany with an item the API refuses throws InvalidRequestError naming it, and accepts nothing", async () => {
    const accounts = client();
    const user = runId("manybad");
    const batch = [
      { ...credit(user, "1"), idempotencyKey: `${user}-ok` },
      { ...credit(user, "1.1234567"), idempotencyKey: `${user}-bad` }, // USDT has 6 decimals
    ];
    const error = await accounts.submitMany(batch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).errors.map((e) => e.path)).toEqual(["operations.1.amount"]);
    expect((error as InvalidRequestError).requestId).toBeTruthy();
    // Nothing was accepted: the valid item's key is new.
    const [ok] = await accounts.submitMany([batch[0] as (typeof batch)[number]]);
    expect(ok).toMatchObject({ ok: true, replayed: false });
  });

  it("an operation that breaks the schema is refused before sending, with the API's messages", async () => {
    const { fetch, sent } = recordingFetch();
    const accounts = client({ fetch });
    const bad = { type: "credit", account: { userId: "@external", currency: "btc" }, amount: "1e5" };
    const error = await accounts.submit(bad as OperationRequest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).errors.map((e) => e.path).sort()).toEqual([
      "account.currency",
      "account.userId",
      "amount",
    ]);
    expect((error as InvalidRequestError).requestId).toBeUndefined();
    const many = await accounts
      .submitMany([credit("x", "1"), bad as OperationRequest])
      .catch((e: unknown) => e);
    expect((many as InvalidRequestError).errors.map((e) => e.path)).toContain("operations.1.amount");
    expect(sent).toHaveLength(0);
  });
});

describe("reading", () => {
  it("getOperation answers the representation, and long-polls with waitSeconds", async () => {
    const accounts = client();
    const user = runId("get");
    const { id } = await accounts.submit(credit(user, "4"));
    const polled = await waitFor(
      async () => {
        const op = await accounts.getOperation(id, { waitSeconds: 2 });
        return op.status === "applied" ? op : undefined;
      },
      { timeoutMs: 20_000, message: `${id} applied` },
    );
    expect(polled).toMatchObject({ id, status: "applied", request: credit(user, "4") });
    expect(await accounts.getOperation(id)).toEqual(polled);
    await expect(accounts.getOperation(id, { waitSeconds: 31 })).rejects.toBeInstanceOf(RangeError);
    await accounts.close();
  });

  it("balances, balance (now, at a time, never held) and every page of entries", async () => {
    const accounts = client();
    const user = runId("read");
    await accounts.submitAndWait(credit(user, "1.5", "BTC"), { timeoutMs: 20_000 });
    const between = new Date();
    await waitFor(() => Date.now() > between.getTime() + 5, { intervalMs: 1 });
    for (const amount of ["1", "2", "3", "4"])
      await accounts.submitAndWait(credit(user, amount), { timeoutMs: 20_000 });
    await accounts.submitAndWait(credit(user, "0.25", "BTC"), { timeoutMs: 20_000 });

    const balances = await accounts.balances(user);
    expect(balances.map((b) => [b.currency, b.available]).sort()).toEqual([
      ["BTC", "1.75000000"],
      ["USDT", "10.000000"],
    ]);
    expect(await accounts.balance(user, "BTC")).toMatchObject({
      userId: user,
      total: "1.75000000",
      version: 2,
    });
    expect(await accounts.balance(user, "BTC", { at: between })).toMatchObject({ available: "1.50000000" });
    expect(await accounts.balance(user, "ETH")).toMatchObject({
      available: "0.000000000000000000",
      version: 0,
    });
    const unknown = await accounts.balance(user, "ZZZ").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown).toMatchObject({ code: "unknown_currency", status: 404 });

    const { fetch, sent } = recordingFetch();
    const paging = client({ fetch });
    const usdt: string[] = [];
    for await (const entry of paging.entries(user, { currency: "USDT", pageSize: 3 }))
      usdt.push(entry.amount);
    expect(usdt).toEqual(["4.000000", "3.000000", "2.000000", "1.000000"]); // newest first
    expect(sent.filter((r) => r.path.endsWith("/entries"))).toHaveLength(2);
    const all: string[] = [];
    for await (const entry of accounts.entries(user)) all.push(`${entry.currency} ${entry.amount}`);
    expect(all).toHaveLength(6);
    const sum = all
      .filter((e) => e.startsWith("BTC"))
      .reduce((total, e) => total + toMinorUnits(e.split(" ")[1] as string, 8), 0n);
    expect(sum).toBe(175_000_000n);
    await accounts.close();
  });

  it("currencies lists the registered currencies with their scales", async () => {
    const currencies = await client().currencies();
    expect(currencies).toEqual(
      expect.arrayContaining([
        { code: "BTC", scale: 8 },
        { code: "USDT", scale: 6 },
      ]),
    );
  });
});

describe("webhooks", () => {
  it("verifyWebhook accepts a real delivery and returns its operation; deliveries lists the attempt", async () => {
    const accounts = client();
    const user = runId("hook");
    const path = `/hook/${user}`;
    const final = await accounts.submitAndWait(
      { ...credit(user, "7"), callbackUrl: `${receiver.url}${path}` },
      { timeoutMs: 20_000 },
    );
    const delivery = await waitFor(() => receiver.deliveries.find((d) => d.path === path), {
      timeoutMs: 20_000,
      message: "the webhook delivery",
    });
    const operation = verifyWebhook(delivery.body, delivery.headers, { secret: caller.webhookSecret });
    expect(operation).toEqual(final);
    // The same with the text of the body and a Fetch Headers object.
    const headers = new Headers(delivery.headers as Record<string, string>);
    expect(verifyWebhook(delivery.body.toString("utf8"), headers, { secret: caller.webhookSecret })).toEqual(
      final,
    );

    const attempts = await waitFor(async () => {
      const list = await accounts.deliveries(final.id);
      return list.length > 0 ? list : undefined;
    });
    expect(attempts[0]).toMatchObject({ attempt: 1, statusCode: 204 });

    const refused = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      throw new Error("verified what it should not");
    };
    const other = otherCaller;
    expect(
      refused(() => verifyWebhook(delivery.body, delivery.headers, { secret: other.webhookSecret })),
    ).toMatchObject({ code: "webhook_signature_invalid" });
    const tampered = Buffer.from(delivery.body.toString("utf8").replace('"7"', '"70"'));
    expect(
      refused(() => verifyWebhook(tampered, delivery.headers, { secret: caller.webhookSecret })),
    ).toBeInstanceOf(WebhookVerificationError);
    const later = Date.now() + 10 * 60_000;
    expect(
      refused(() =>
        verifyWebhook(delivery.body, delivery.headers, { secret: caller.webhookSecret, now: later }),
      ),
    ).toMatchObject({ code: "webhook_timestamp_invalid" });
    await accounts.close();
  });
});
