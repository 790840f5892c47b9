import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RedisServer, startRedis } from "@accounts/devstack";
import { type AppStack, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountsClient } from "../client.ts";
import { type AccountsError, ConnectionError, UnavailableError } from "../errors.ts";
import { toMinorUnits } from "../money.ts";
import type { AccountsClientOptions } from "../options.ts";
import { startFaultyProxy } from "./faultyProxy.ts";
import { type Caller, createCaller, runId } from "./support.ts";

// The client's retries under real faults: an API killed and restarted, a Redis outage, keep-alive
// connections closed under the client, answers lost after the API accepted. Each with its negative
// control: the same fault without the protection shows the loss it guards against.

let redis: RedisServer;
let redisDir: string;
let stack: AppStack;
let caller: Caller;

beforeAll(async () => {
  redisDir = mkdtempSync(join(tmpdir(), "client-faults-redis-"));
  // fsync on every write: what Redis acknowledged survives its kill -9, so a lost operation would be
  // the client's fault, not the test server's.
  redis = await startRedis({ dataDir: redisDir, appendfsync: "always", quiet: true });
  stack = await startAppStack({ workers: 1, redisUrl: redis.url });
  caller = await createCaller(stack, "fault-tests", ["operations:write", "operations:read", "accounts:read"]);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
});

function client(options: Partial<AccountsClientOptions> = {}): AccountsClient {
  return new AccountsClient({ baseUrl: stack.apiUrl, apiKey: caller.apiKey, ...options });
}

interface LoadRun {
  users: string[];
  /** Operation ids answered, per user. */
  accepted: Map<string, string[]>;
  /** Submissions that failed, with their errors. */
  failures: unknown[];
  /** Submissions answered so far (accepted or failed). */
  answered(): number;
  done: Promise<void>;
}

/** `callers` callers, each awaiting `perCaller` credits of 1 USDT on its own user, one after the other. */
function startLoad(accounts: AccountsClient, label: string, callers = 12, perCaller = 30): LoadRun {
  const run = runId(label);
  const users = Array.from({ length: callers }, (_, c) => `${run}-${c}`);
  const accepted = new Map(users.map((u) => [u, [] as string[]]));
  const failures: unknown[] = [];
  let answered = 0;
  const done = Promise.all(
    users.map(async (userId) => {
      for (let i = 0; i < perCaller; i++) {
        try {
          const { id } = await accounts.submit({
            type: "credit",
            account: { userId, currency: "USDT" },
            amount: "1",
          });
          accepted.get(userId)?.push(id);
        } catch (error) {
          failures.push(error);
        } finally {
          answered += 1;
        }
      }
    }),
  ).then(() => undefined);
  return { users, accepted, failures, answered: () => answered, done };
}

/** Every accepted operation is applied, and each user's balance and ledger hold each exactly once. */
async function expectAppliedOnce(accounts: AccountsClient, load: LoadRun): Promise<void> {
  for (const [userId, ids] of load.accepted) {
    for (const id of ids)
      expect((await accounts.waitForOperation(id, { timeoutMs: 60_000 })).status).toBe("applied");
    let entries = 0;
    for await (const entry of accounts.entries(userId, { currency: "USDT", pageSize: 1000 })) {
      expect(ids).toContain(entry.operationId);
      entries += 1;
    }
    expect(entries, `ledger entries of ${userId}`).toBe(ids.length);
    expect((await accounts.balance(userId, "USDT")).total).toBe(`${ids.length}.000000`);
  }
}

const seen = (errors: AccountsError[], type: abstract new (...args: never[]) => AccountsError) =>
  errors.some((e) => e instanceof type);

describe("retries across an API restart", () => {
  it("kill -9 of the API under load: every submission is accepted, each applied once", async () => {
    const retried: AccountsError[] = [];
    const accounts = client({ retry: { maxElapsedMs: 90_000 }, onRetry: (e) => retried.push(e.error) });
    const load = startLoad(accounts, "apikill");
    await waitFor(() => load.answered() >= 60, { timeoutMs: 30_000, message: "load running" });
    const api = stack.process("api");
    await api.kill();
    await waitFor(() => seen(retried, ConnectionError), {
      timeoutMs: 30_000,
      message: "a retry of a refused request",
    });
    await api.start();
    await load.done;
    expect(load.failures).toEqual([]);
    expect([...load.accepted.values()].flat()).toHaveLength(12 * 30);
    await expectAppliedOnce(accounts, load);
    await accounts.close();
  }, 180_000);

  it("negative control: without retries, the same restart fails submissions", async () => {
    const accounts = client({ retry: false });
    const load = startLoad(accounts, "apikill-noretry");
    await waitFor(() => load.answered() >= 60, { timeoutMs: 30_000, message: "load running" });
    const api = stack.process("api");
    await api.kill();
    await waitFor(() => load.failures.length > 0, { timeoutMs: 30_000, message: "a failed submission" });
    await api.start();
    await waitFor(async () => (await fetch(`${stack.apiUrl}/ready`)).status === 200, { timeoutMs: 60_000 });
    await load.done;
    expect(load.failures.length).toBeGreaterThan(0);
    expect(load.failures.every((e) => e instanceof ConnectionError)).toBe(true);
    await accounts.close();
  }, 180_000);
});

describe("retries across a Redis outage", () => {
  it("kill -9 of Redis under load: every submission is accepted once Redis is back, each applied once", async () => {
    const retried: AccountsError[] = [];
    const accounts = client({ retry: { maxElapsedMs: 90_000 }, onRetry: (e) => retried.push(e.error) });
    const load = startLoad(accounts, "rediskill");
    await waitFor(() => load.answered() >= 60, { timeoutMs: 30_000, message: "load running" });
    await redis.kill("SIGKILL");
    await waitFor(() => seen(retried, UnavailableError), { timeoutMs: 30_000, message: "a retry of a 503" });
    await redis.restart();
    await load.done;
    expect(load.failures).toEqual([]);
    expect([...load.accepted.values()].flat()).toHaveLength(12 * 30);
    await expectAppliedOnce(accounts, load);
    await accounts.close();
  }, 180_000);

  it("negative control: without retries, the same outage fails submissions with 503", async () => {
    const accounts = client({ retry: false });
    const load = startLoad(accounts, "rediskill-noretry");
    await waitFor(() => load.answered() >= 60, { timeoutMs: 30_000, message: "load running" });
    await redis.kill("SIGKILL");
    await waitFor(() => load.failures.length > 0, { timeoutMs: 30_000, message: "a failed submission" });
    await redis.restart();
    await load.done;
    expect(load.failures.some((e) => e instanceof UnavailableError)).toBe(true);
    await accounts.close();
  }, 180_000);
});

describe("connections that break under the client", () => {
  it("a kept-alive connection the server closed is retried at once on a new one", async () => {
    // Every connection dies when it is reused, as when a server's keep-alive timeout fires just as
    // the client sends on it.
    const proxy = await startFaultyProxy(stack.apiUrl, (r) =>
      r.onConnection === 2 ? "close-before" : "forward",
    );
    try {
      const firstRetries: number[] = [];
      const accounts = client({
        baseUrl: proxy.url,
        onRetry: (e) => {
          if (e.attempt === 2) firstRetries.push(e.delayMs);
        },
      });
      for (let i = 0; i < 6; i++) expect(await accounts.currencies()).not.toHaveLength(0);
      const user = runId("reuse");
      for (let i = 0; i < 6; i++) {
        await accounts.submit({ type: "credit", account: { userId: user, currency: "USDT" }, amount: "1" });
      }
      expect(proxy.seen.filter((r) => r.action === "close-before").length).toBeGreaterThan(0);
      // The first retry of a request that died on a reused connection leaves at once.
      expect(firstRetries.length).toBeGreaterThan(0);
      expect(firstRetries.every((d) => d === 0)).toBe(true);
      await waitFor(async () => (await accounts.balance(user, "USDT")).version === 6, { timeoutMs: 20_000 });
      expect((await accounts.balance(user, "USDT")).total).toBe("6.000000");
      await accounts.close();

      // Negative control: without retries the reused connection's request fails.
      const fragile = client({ baseUrl: proxy.url, retry: false });
      const outcomes = await (async () => {
        const errors: unknown[] = [];
        for (let i = 0; i < 4; i++) await fragile.currencies().catch((e: unknown) => errors.push(e));
        return errors;
      })();
      expect(outcomes.length).toBeGreaterThan(0);
      expect(outcomes[0]).toBeInstanceOf(ConnectionError);
    } finally {
      await proxy.close();
    }
  });

  it("an answer lost after the API accepted: the retry with the same key is a replay, applied once", async () => {
    // Every third batch request reaches the API, is accepted, and its answer never comes back.
    const proxy = await startFaultyProxy(stack.apiUrl, (r) =>
      r.path === "/v1/operations/batch" && r.seq % 3 === 0 ? "close-after" : "forward",
    );
    try {
      const accounts = client({ baseUrl: proxy.url });
      const load = startLoad(accounts, "lost", 4, 15);
      await load.done;
      expect(load.failures).toEqual([]);
      expect(proxy.seen.filter((r) => r.action === "close-after").length).toBeGreaterThan(2);
      await expectAppliedOnce(client(), load);
      await accounts.close();

      // Negative control: a caller that retries with a new key (what a hand-written retry does
      // without idempotency keys) applies the lost ones twice.
      const naive = client({ baseUrl: proxy.url, retry: false });
      const user = runId("naive");
      let sent = 0;
      for (let i = 0; i < 15; i++) {
        for (;;) {
          try {
            await naive.submit({ type: "credit", account: { userId: user, currency: "USDT" }, amount: "1" });
            break;
          } catch (error) {
            if (!(error instanceof ConnectionError)) throw error;
          } finally {
            sent += 1;
          }
        }
      }
      expect(sent).toBeGreaterThan(15);
      const reader = client();
      await waitFor(async () => (await reader.balance(user, "USDT")).version === sent, {
        timeoutMs: 30_000,
        message: "every request applied",
      });
      expect(toMinorUnits((await reader.balance(user, "USDT")).total, 6)).toBeGreaterThan(15_000_000n);
    } finally {
      await proxy.close();
    }
  });
});
