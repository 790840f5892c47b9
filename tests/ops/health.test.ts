import { freePort } from "@accounts/devstack";
import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Receiver, startReceiver } from "./support/receiver.ts";
import { probeUrl } from "./support/stackProbes.ts";

// /health and /ready of real processes: the API and the worker turn /ready to 503 on SIGTERM while
// they drain, and /health says unhealthy (503) when a dependency is away.

interface Report {
  status: string;
  checks: Record<string, { status: string; error?: string; details?: Record<string, unknown> }>;
}

async function status(url: string): Promise<number | "refused"> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return "refused";
  }
}

describe("draining on SIGTERM", () => {
  let stack: AppStack;
  let receiver: Receiver;

  beforeAll(async () => {
    // A callback endpoint that never answers keeps a webhook attempt in flight, which the worker
    // finishes before it exits: the window in which it is alive but draining.
    receiver = await startReceiver(() => "hang");
    stack = await startAppStack({
      workers: 1,
      env: {
        SHUTDOWN_GRACE_SECONDS: "3",
        WEBHOOK_ALLOW_HTTP: "true",
        WEBHOOK_ALLOWLIST: "127.0.0.1",
        WEBHOOK_TIMEOUT_MS: "3000",
      },
    });
  }, scaledTimeout(60_000));
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it("the worker answers /ready 503 (and /health still) while it finishes a delivery, then exits", {
    timeout: scaledTimeout(40_000),
  }, async () => {
    const worker = probeUrl(stack, "worker-1");
    expect(await status(`${worker}/ready`)).toBe(200);
    const res = await fetch(`${stack.apiUrl}/v1/operations`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        type: "credit",
        account: { userId: "drain-user", currency: "USD" },
        amount: "1",
        callbackUrl: `${receiver.url}/hangs`,
      }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => receiver.received("/hangs").length > 0, { message: "the delivery attempt started" });

    process.kill(stack.process("worker-1").pid(), "SIGTERM");
    await waitFor(async () => (await status(`${worker}/ready`)) === 503, { message: "worker /ready 503" });
    expect(await status(`${worker}/health`)).toBe(200);
    await waitFor(async () => (await status(`${worker}/ready`)) === "refused", {
      timeoutMs: scaledTimeout(20_000),
      message: "the worker exited",
    });
  });

  it("the API answers /ready 503 for the grace period while still serving requests, then exits", {
    timeout: scaledTimeout(40_000),
  }, async () => {
    const api = stack.process("api");
    const started = Date.now();
    process.kill(api.pid(), "SIGTERM");
    await waitFor(async () => (await status(`${stack.apiUrl}/ready`)) === 503, { message: "API /ready 503" });
    const currencies = await fetch(`${stack.apiUrl}/v1/currencies`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(currencies.status).toBe(200);
    await waitFor(async () => (await status(`${stack.apiUrl}/ready`)) === "refused", {
      timeoutMs: scaledTimeout(20_000),
      message: "the API exited",
    });
    // SHUTDOWN_GRACE_SECONDS = 3: it kept answering that long before closing.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });
});

describe("/health when Redis is away", () => {
  let stack: AppStack;

  beforeAll(async () => {
    // Nothing listens on this port: the API starts (it needs PostgreSQL to start, not Redis).
    stack = await startAppStack({ workers: 0, redisUrl: `redis://127.0.0.1:${await freePort()}` });
  }, scaledTimeout(60_000));
  afterAll(async () => {
    await stack?.stop();
  });

  it("is unhealthy (503) and names the failing check; the metrics say so too", async () => {
    const res = await fetch(`${stack.apiUrl}/health`);
    const report = (await res.json()) as Report;
    expect(res.status).toBe(503);
    expect(report.status).toBe("unhealthy");
    expect(report.checks.redis?.status).toBe("unhealthy");
    expect(report.checks.redis?.error).toEqual(expect.any(String));
    expect(report.checks.database?.status).toBe("healthy");
    expect(report.checks.performance?.status).toBe("healthy");
    // Ready all the same: taking it out of the load balancer would not bring Redis back.
    expect(await status(`${stack.apiUrl}/ready`)).toBe(200);
    // /metrics still answers: a source that cannot answer leaves its series out.
    const metrics = await fetch(`${stack.apiUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/accounts_redis_up\{node="127\.0\.0\.1:\d+",service="api"\} 0/);
    expect(text).not.toMatch(/^accounts_queue_jobs\{/m);
    expect(text).toMatch(/^accounts_database_connections_max\{service="api"\} \d+/m);
  });
});
