import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { createDb, createPool, insertClient } from "@accounts/db";
import { generateApiKey, generateWebhookSecret, hashApiKey, newClientId } from "@accounts/domain";
import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Receiver, startReceiver } from "./support/receiver.ts";

// The logs of a real stack (API, worker, scheduler at debug level) after requests with keys, HTTP
// Basic, wrong keys, webhooks signed with the clients' secrets and a failing callback: one JSON line
// per request and (at debug) per applied job, and not a single key or secret anywhere in any process's output
// or in the servers' log files.

let stack: AppStack;
let receiver: Receiver;
let logText: string;
const secrets: Record<string, string> = {};

interface LogLine {
  service?: string;
  msg?: string;
  [field: string]: unknown;
}
let lines: LogLine[];

beforeAll(async () => {
  receiver = await startReceiver((path) => (path === "/fails" ? 500 : 204));
  stack = await startAppStack({
    workers: 1,
    scheduler: true,
    env: { LOG_LEVEL: "debug", WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOWLIST: "127.0.0.1" },
  });
  // The stack is up once the API answers; the worker may still be starting (seconds on a busy
  // machine), and the operations below would wait for it inside their own deadline. Wait for its
  // readiness signal first.
  for (const process of stack.processes.filter((p) => p.app === "worker")) {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${process.env.WORKER_METRICS_PORT}/ready`)).ok, {
      timeoutMs: 60_000,
      message: `${process.name} ready`,
    });
  }
  const db = createDb(createPool(stack.databaseUrl, { max: 1 }));
  const { key, prefix } = generateApiKey();
  const webhookSecret = generateWebhookSecret();
  try {
    const bootstrap = await db.selectFrom("api_clients").select("webhook_secret").executeTakeFirstOrThrow();
    secrets.bootstrapKey = stack.apiKey;
    secrets.bootstrapWebhookSecret = bootstrap.webhook_secret;
    await insertClient(db, {
      id: newClientId(),
      name: "log-test",
      keyHash: hashApiKey(key),
      keyPrefix: prefix,
      scopes: ["operations:write", "operations:read", "accounts:read", "admin"],
      webhookSecret,
    });
  } finally {
    await db.destroy();
  }
  secrets.clientKey = key;
  secrets.clientWebhookSecret = webhookSecret;
  // A key of the right shape that no client has: its failure is logged, never its text.
  secrets.wrongKey = `${prefix}_${"x".repeat(43)}`.replace(`${prefix}_`, `${prefix.slice(0, -1)}z_`);

  const call = (path: string, init: RequestInit = {}) => fetch(`${stack.apiUrl}${path}`, init);
  const bearer = (k: string) => ({ authorization: `Bearer ${k}`, "content-type": "application/json" });
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
  });
  secrets.basicHeader = basic("ops", key).authorization.slice("Basic ".length);

  const submit = async (k: string, body: Record<string, unknown>) => {
    const res = await call("/v1/operations", {
      method: "POST",
      headers: bearer(k),
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const account = { userId: "log-user", currency: "USDT" };
  // [submitting key, id]: a client sees only its own operations.
  const submitted = [
    [key, await submit(key, { type: "credit", account, amount: "10", callbackUrl: `${receiver.url}/ok` })],
    [
      stack.apiKey,
      await submit(stack.apiKey, { type: "credit", account, amount: "1", callbackUrl: `${receiver.url}/ok` }),
    ],
    [
      key,
      await submit(key, { type: "debit", account, amount: "1000", callbackUrl: `${receiver.url}/fails` }),
    ],
  ] as const;
  const batch = await call("/v1/operations/batch", {
    method: "POST",
    headers: bearer(key),
    body: JSON.stringify({ operations: [{ type: "credit", account, amount: "2", idempotencyKey: "log-1" }] }),
  });
  expect(batch.status).toBe(202);
  for (const [owner, id] of submitted) {
    await waitFor(
      async () => {
        const res = await call(`/v1/operations/${id}?wait=5`, { headers: bearer(owner) });
        return ["applied", "rejected"].includes(((await res.json()) as { status: string }).status);
      },
      { timeoutMs: scaledTimeout(20_000), message: `operation ${id} final` },
    );
  }
  expect((await call("/v1/accounts/log-user/balances", { headers: bearer(key) })).status).toBe(200);
  expect((await call("/admin/queues/api/queues", { headers: basic("ops", key) })).status).toBe(200);
  expect((await call("/admin/queues/api/queues", { headers: basic(key, "") })).status).toBe(200);
  expect((await call("/v1/currencies", { headers: bearer(secrets.wrongKey) })).status).toBe(401);
  expect((await call("/v1/currencies", { headers: basic("ops", secrets.wrongKey) })).status).toBe(401);
  expect((await call("/v1/currencies", { headers: { authorization: `Bearer ${key}x` } })).status).toBe(401);
  await waitFor(() => receiver.received("/ok").length >= 2 && receiver.received("/fails").length >= 1, {
    timeoutMs: scaledTimeout(20_000),
    message: "webhooks delivered (and one refused by the endpoint)",
  });

  // Stopping flushes every process's output into the stack's log file.
  await stack.stop();
  logText = readFileSync(stack.logFile, "utf8");
  lines = logText
    .split("\n")
    .filter((line) => line.includes("] {"))
    .map((line) => JSON.parse(line.slice(line.indexOf("] {") + 2)) as LogLine);
}, scaledTimeout(90_000));

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe("logs of a running stack", () => {
  it("are JSON lines, one per request, with request id, route, status, duration and client", () => {
    const requests = lines.filter((line) => line.service === "api" && line.msg === "request");
    const submit = requests.find((line) => line.route === "/v1/operations" && line.status === 202);
    expect(submit).toMatchObject({
      method: "POST",
      path: "/v1/operations",
      requestId: expect.any(String),
      ms: expect.any(Number),
      clientId: expect.stringMatching(/^cl_/),
      operationId: expect.stringMatching(/^op_/),
    });
    expect(requests.find((line) => line.route === "/v1/operations/:id")?.path).toMatch(
      /^\/v1\/operations\/op_/,
    );
    const refused = requests.filter((line) => line.status === 401);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const line of refused) expect(line.clientId).toBeUndefined();
  });

  it("have one debug line per applied job with partition, job id, counts, duration and operation ids", () => {
    const jobs = lines.filter((line) => line.service === "worker" && line.msg === "job applied");
    // Per-job lines are debug (this stack runs at debug): at info a worker writes a summary a minute.
    expect(jobs.every((job) => job.level === "debug")).toBe(true);
    // Four operations of one account: one partition, coalesced into as few jobs as they arrived in.
    expect(jobs.reduce((sum, job) => sum + (job.operations as number), 0)).toBe(4);
    for (const job of jobs) {
      expect(job).toMatchObject({
        partition: expect.any(Number),
        jobId: expect.any(String),
        operations: expect.any(Number),
        applied: expect.any(Number),
        rejected: expect.any(Number),
        ms: expect.any(Number),
        firstOperationId: expect.stringMatching(/^op_/),
        lastOperationId: expect.stringMatching(/^op_/),
      });
    }
    expect(jobs.some((job) => job.rejected === 1)).toBe(true);
  });

  it("total the applied jobs at info (written at the latest when the worker stops)", () => {
    const summaries = lines.filter(
      (line) => line.service === "worker" && line.msg === "jobs applied since the last summary",
    );
    expect(summaries.every((line) => line.level === "info")).toBe(true);
    expect(summaries.reduce((sum, line) => sum + (line.operations as number), 0)).toBe(4);
    expect(summaries.reduce((sum, line) => sum + (line.rejected as number), 0)).toBe(1);
  });

  it("log failed authentications (so the absence below means something)", () => {
    expect(lines.some((line) => line.msg === "authentication failed")).toBe(true);
  });

  it("never contain a key, a webhook secret or a Basic credential: not in any process's output or server log", () => {
    const harnessLogs = readdirSync(dirname(stack.logFile))
      .map((name) => join(dirname(stack.logFile), name))
      .filter((path) => path.endsWith(".log") && statSync(path).isFile());
    expect(harnessLogs).toContain(stack.logFile);
    for (const path of harnessLogs) {
      const text = path === stack.logFile ? logText : readFileSync(path, "utf8");
      for (const [name, secret] of Object.entries(secrets)) {
        expect(text.includes(secret), `${name} in ${path}`).toBe(false);
        // Nor the part that makes it secret: the key's random part, the secret's base64.
        const tail = secret.replace(/^(ak_[0-9a-z]{16}_|whsec_)/, "");
        expect(text.includes(tail), `${name} (its secret part) in ${path}`).toBe(false);
      }
    }
  });
});
