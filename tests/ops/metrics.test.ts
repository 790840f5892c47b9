import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sample, samplesOf, scrape, sumOf } from "./support/promText.ts";
import { probeUrl } from "./support/stackProbes.ts";

// Issue 5's "done when": after a few operations, the API's /metrics (and the worker's, and the
// scheduler's) show every metric the issue names, with bounded labels.

let stack: AppStack;
let api: Sample[];
let worker: Sample[];
let workerUrl: string;

const auth = () => ({ authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" });

async function submit(operation: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.apiUrl}/v1/operations`, {
    method: "POST",
    headers: auth(),
    body: JSON.stringify(operation),
  });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.id;
}

async function final(id: string): Promise<string> {
  return waitFor(
    async () => {
      const res = await fetch(`${stack.apiUrl}/v1/operations/${id}?wait=5`, { headers: auth() });
      const body = (await res.json()) as { status: string };
      return body.status === "applied" || body.status === "rejected" ? body.status : undefined;
    },
    { timeoutMs: scaledTimeout(20_000), message: `operation ${id} final` },
  );
}

beforeAll(async () => {
  stack = await startAppStack({ workers: 1, scheduler: true });
  workerUrl = probeUrl(stack, "worker-1");
  const alice = { userId: "metrics-alice", currency: "BTC" };
  const statuses: string[] = [];
  statuses.push(await final(await submit({ type: "credit", account: alice, amount: "1.5" })));
  statuses.push(await final(await submit({ type: "reserve", account: alice, amount: "0.5" })));
  statuses.push(await final(await submit({ type: "debit", account: alice, amount: "100" })));
  statuses.push(
    await final(
      await submit({
        type: "transfer",
        postings: [
          {
            from: { userId: "metrics-alice", bucket: "reserved" },
            to: { userId: "metrics-bob", bucket: "available" },
            currency: "BTC",
            amount: "0.25",
          },
        ],
      }),
    ),
  );
  expect(statuses).toEqual(["applied", "applied", "rejected", "applied"]);
  // One refused request, for the failed-authentication counter.
  expect((await fetch(`${stack.apiUrl}/v1/currencies`)).status).toBe(401);
  api = await scrape(`${stack.apiUrl}/metrics`);
  worker = await scrape(`${workerUrl}/metrics`);
}, scaledTimeout(90_000));

afterAll(async () => {
  await stack?.stop();
});

const present = (samples: readonly Sample[], name: string) =>
  expect(samplesOf(samples, name).length, `${name} in /metrics`).toBeGreaterThan(0);

describe("the API's /metrics (no authentication)", () => {
  it("serves Prometheus text without a key", async () => {
    const res = await fetch(`${stack.apiUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("counts accepted operations by type, HTTP requests by route pattern, and the coalesced batches", () => {
    expect(sumOf(api, "accounts_operation_total", { operation: "credit", status: "accepted" })).toBe(1);
    expect(sumOf(api, "accounts_operation_total", { status: "accepted" })).toBe(4);
    expect(
      sumOf(api, "accounts_http_requests_total", { method: "POST", route: "/v1/operations", status: "202" }),
    ).toBe(4);
    expect(
      sumOf(api, "accounts_http_requests_total", { route: "/v1/operations/:id", status: "200" }),
    ).toBeGreaterThanOrEqual(4);
    expect(sumOf(api, "accounts_http_requests_total", { route: "/v1/currencies", status: "401" })).toBe(1);
    expect(
      sumOf(api, "accounts_http_request_duration_seconds_count", { method: "POST", route: "/v1/operations" }),
    ).toBe(4);
    expect(sumOf(api, "accounts_coalesced_batch_operations_count")).toBeGreaterThanOrEqual(1);
    expect(sumOf(api, "accounts_auth_failures_total", { reason: "missing_credentials" })).toBe(1);
    present(api, "accounts_operation_errors_total");
  });

  it("never labels a series with an operation id, a user id or a raw path", () => {
    const text = JSON.stringify(api);
    expect(text).not.toMatch(/op_[0-9A-Z]{26}/);
    expect(text).not.toContain("metrics-alice");
  });

  it("shows queue depth per partition and state, and the oldest waiting job's age", () => {
    for (const state of ["waiting", "active", "delayed", "failed"]) {
      expect(
        samplesOf(api, "accounts_queue_jobs", { queue: "ops-00", kind: "partition", state }),
      ).toHaveLength(1);
    }
    const queues = new Set(samplesOf(api, "accounts_queue_jobs").map((sample) => sample.labels.queue));
    expect(queues).toContain("webhooks");
    expect(queues).toContain("maintenance");
    expect(queues.size).toBe(16 + 2);
    expect(samplesOf(api, "accounts_queue_oldest_waiting_age_seconds")).toHaveLength(18);
  });

  it("shows Redis memory, its eviction policy, the database pool, the audit writer and default process metrics", () => {
    expect(sumOf(api, "accounts_redis_up")).toBe(1);
    expect(sumOf(api, "accounts_redis_memory_used_bytes")).toBeGreaterThan(0);
    present(api, "accounts_redis_memory_max_bytes");
    present(api, "accounts_redis_maxmemory_policy_noeviction");
    expect(sumOf(api, "accounts_database_connections_max")).toBeGreaterThan(0);
    present(api, "accounts_database_connections_active");
    present(api, "accounts_audit_events_dropped_total");
    present(api, "accounts_long_polls_waiting");
    expect(samplesOf(api, "process_cpu_seconds_total", { service: "api" })).toHaveLength(1);
    present(api, "nodejs_eventloop_lag_seconds");
    present(api, "process_resident_memory_bytes");
  });
});

describe("the worker's /metrics", () => {
  it("counts final statuses by type and observes accept-to-finish latency", () => {
    expect(sumOf(worker, "accounts_operation_total", { operation: "credit", status: "applied" })).toBe(1);
    expect(sumOf(worker, "accounts_operation_total", { operation: "debit", status: "rejected" })).toBe(1);
    expect(sumOf(worker, "accounts_operation_total", { operation: "transfer", status: "applied" })).toBe(1);
    expect(sumOf(worker, "accounts_operation_duration_seconds_count")).toBe(4);
    const buckets = samplesOf(worker, "accounts_operation_duration_seconds_bucket").map((s) => s.labels.le);
    expect(buckets).toEqual(expect.arrayContaining(["0.001", "10", "+Inf"]));
  });

  it("has the error, webhook, batch, pool and process series", () => {
    for (const kind of ["transient", "failed_operation", "failed_job"]) {
      expect(samplesOf(worker, "accounts_operation_errors_total", { kind })).toHaveLength(1);
    }
    for (const outcome of ["delivered", "failed", "refused"]) {
      expect(samplesOf(worker, "accounts_webhook_deliveries_total", { outcome })).toHaveLength(1);
    }
    expect(sumOf(worker, "accounts_apply_batch_operations_count")).toBeGreaterThanOrEqual(1);
    present(worker, "accounts_apply_batch_duration_seconds_bucket");
    expect(sumOf(worker, "accounts_database_connections_max")).toBeGreaterThan(0);
    present(worker, "accounts_database_connections_active");
    expect(samplesOf(worker, "process_cpu_seconds_total", { service: "worker" })).toHaveLength(1);
  });
});

describe("the scheduler's /metrics", () => {
  it("has the maintenance runs and the reconcile result", { timeout: scaledTimeout(60_000) }, async () => {
    const scheduler = await scrape(`${probeUrl(stack, "scheduler")}/metrics`);
    present(scheduler, "accounts_maintenance_runs_total");
    present(scheduler, "process_cpu_seconds_total");
    // The reconcile gauges say what the latest run found: run one through the operator route.
    const run = await fetch(`${stack.apiUrl}/v1/admin/maintenance/reconcile`, {
      method: "POST",
      headers: auth(),
    });
    expect(run.status).toBe(202);
    const { runId } = (await run.json()) as { runId: number };
    const finished = await waitFor(
      async () => {
        const res = await fetch(`${stack.apiUrl}/v1/admin/maintenance/runs?task=reconcile`, {
          headers: auth(),
        });
        const { runs } = (await res.json()) as { runs: { id: number; status: string }[] };
        const mine = runs.find((r) => r.id === runId);
        return mine && mine.status !== "running" ? mine : undefined;
      },
      { timeoutMs: scaledTimeout(45_000), message: `reconcile run ${runId} finished` },
    );
    expect(finished.status, JSON.stringify(finished)).toBe("succeeded");
    const after = await scrape(`${probeUrl(stack, "scheduler")}/metrics`);
    expect(sumOf(after, "accounts_reconcile_ok")).toBe(1);
    expect(sumOf(after, "accounts_reconcile_mismatches")).toBe(0);
    expect(sumOf(after, "accounts_maintenance_runs_total", { task: "reconcile", status: "succeeded" })).toBe(
      1,
    );
  });
});

describe("health", () => {
  it("the API and the worker report database, redis and performance (the API also Redis replicas), and are ready", async () => {
    for (const [base, extra] of [
      [stack.apiUrl, ["redisReplicas"]],
      [workerUrl, []],
    ] as const) {
      const res = await fetch(`${base}/health`);
      const report = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
      expect(res.status, JSON.stringify(report)).toBe(200);
      expect(Object.keys(report.checks).sort()).toEqual(["database", "performance", "redis", ...extra]);
      expect(report.checks.database?.status).toBe("healthy");
      expect(report.checks.redis?.status).toBe("healthy");
      expect((await fetch(`${base}/ready`)).status).toBe(200);
    }
  });
});
