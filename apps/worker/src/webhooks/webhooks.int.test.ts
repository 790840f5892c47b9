import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  applyOperationBatch,
  createDb,
  createPool,
  type Db,
  finalOperationOf,
  findOperation,
  findOutboxRows,
  insertClient,
  listDeliveries,
  type OperationOutcome,
} from "@accounts/db";
import {
  finalView,
  generateApiKey,
  generateWebhookSecret,
  hashApiKey,
  newQueuedOperation,
  type OperationRequest,
  type QueuedOperation,
} from "@accounts/domain";
import type { Catalog } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase, waitFor } from "@accounts/tests/harness";
import { callbackUrlPolicy, type ResolvedAddress, webhookIdOf } from "@accounts/webhooks";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookDelivery, type WebhookDelivery } from "./deliveryWorker.ts";
import { dispatchNotifications, type NotifyDeps } from "./dispatchNotifications.ts";
import { startOutboxSweeper, sweepOutbox } from "./outboxSweeper.ts";
import { openWebhookQueue, type WebhookQueue } from "./webhookQueue.ts";

// Real: PostgreSQL (this file's database), Redis and BullMQ (a unique prefix), an HTTP receiver on
// 127.0.0.1, the signer and the sender. Injected: a DNS resolver (so names can "resolve" to private
// addresses without any DNS) and a short retry delay (the production schedule spans 24 h).

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const database = useTestDatabase();
const log = createLogger({ service: "test", level: "silent" });
const scales = new Map([["BTC", 8]]);
const secret = generateWebhookSecret();
const clientId = `cl_test_${Date.now()}`;
/** As the API queues it: the id's time is the acceptance time (it locates the operation's partition). */
const queuedOp = (request: OperationRequest) => newQueuedOperation(request, clientId, "test");

let db: Db;
let receiver: Server;
let port: number;
const received: Received[] = [];
const flakyFailures = new Map<string, number>();
let catalog: Catalog;
let webhooks: WebhookQueue;
let delivery: WebhookDelivery;
let notify: NotifyDeps;
const attempts: string[] = [];

function fakeDns(hostname: string): Promise<readonly ResolvedAddress[]> {
  const table: Record<string, ResolvedAddress[]> = {
    // A name that points at the receiver: allowed because 127.0.0.1 is allow-listed.
    "hooks.test": [{ address: "127.0.0.1", family: 4 }],
    // A name that points into a private network: must be refused, and never connected to.
    "rebind.test": [{ address: "10.0.0.1", family: 4 }],
  };
  const answer = table[hostname];
  return answer
    ? Promise.resolve(answer)
    : Promise.reject(Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" }));
}

beforeAll(async () => {
  db = createDb(createPool(database.url(), { max: 6 }));
  const { key, prefix } = generateApiKey();
  await insertClient(db, {
    id: clientId,
    name: "webhook-test",
    keyHash: hashApiKey(key),
    keyPrefix: prefix,
    scopes: ["operations:write", "operations:read"],
    webhookSecret: secret,
  });

  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body });
      const id = String(req.headers["webhook-id"]);
      if (path.startsWith("/flaky")) {
        const failures = flakyFailures.get(id) ?? 0;
        if (failures < 2) {
          flakyFailures.set(id, failures + 1);
          res.writeHead(500).end("not yet");
          return;
        }
      }
      res.writeHead(path.startsWith("/flaky") ? 204 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  port = (receiver.address() as AddressInfo).port;

  catalog = { namespace: uniquePrefix("webhooks"), partitions: 1 };
  const redis = { url: harnessRedisUrl() };
  webhooks = openWebhookQueue(redis, catalog, log);
  notify = { db, queue: webhooks.queue, log };
  delivery = startWebhookDelivery({
    db,
    redis,
    catalog,
    log,
    policy: callbackUrlPolicy({ allowHttp: true, allowlist: ["127.0.0.1"], resolve: fakeDns }),
    concurrency: 4,
    timeoutMs: 2_000,
    retryDelayMs: () => 20,
    onAttempt: (outcome) => attempts.push(outcome),
  });
});

afterAll(async () => {
  await delivery?.close();
  await webhooks?.queue.obliterate({ force: true });
  await webhooks?.close();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
  await db?.destroy();
});

let userCounter = 0;
function credit(callbackUrl: string, metadata?: Record<string, unknown>): QueuedOperation {
  userCounter += 1;
  return queuedOp({
    type: "credit",
    account: { userId: `wh-user-${userCounter}`, currency: "BTC" },
    amount: "0.5",
    callbackUrl,
    ...(metadata ? { metadata } : {}),
  });
}
async function apply(...operations: QueuedOperation[]): Promise<OperationOutcome[]> {
  return applyOperationBatch(db, { partition: 0, operations, scales });
}
const receivedFor = (operationId: string) =>
  received.filter((r) => r.headers["webhook-id"] === webhookIdOf(operationId));
const deliveriesOf = async (operationId: string, count: number) =>
  waitFor(
    async () => {
      const rows = await listDeliveries(db, operationId);
      return rows.length >= count ? rows : undefined;
    },
    { message: `${count} delivery attempts of ${operationId}` },
  );
/** Every job of the queue has run to an end (nothing waiting, delayed or active). */
const queueSettled = () =>
  waitFor(
    async () => {
      const counts = await webhooks.queue.getJobCounts("wait", "delayed", "active", "prioritized");
      return Object.values(counts).every((n) => n === 0);
    },
    { message: "webhooks queue settled" },
  );

describe("webhook delivery", () => {
  it("POSTs the signed final representation, verified by the standardwebhooks package", async () => {
    const op = credit(`http://127.0.0.1:${port}/ok`, { orderId: "o-1" });
    const outcomes = await apply(op);
    expect(await findOutboxRows(db, [op.id])).toHaveLength(1);
    await dispatchNotifications(notify, outcomes);
    // Queued, so its outbox row is gone.
    expect(await findOutboxRows(db, [op.id])).toEqual([]);

    const [attempt] = await deliveriesOf(op.id, 1);
    expect(attempt).toMatchObject({ attempt: 1, status_code: 200, error: null });
    const [hook] = receivedFor(op.id);
    expect(hook?.path).toBe("/ok");
    expect(hook?.headers["content-type"]).toBe("application/json");
    expect(hook?.headers["webhook-id"]).toBe(webhookIdOf(op.id));
    const payload = new Webhook(secret).verify(hook?.body ?? "", {
      "webhook-id": String(hook?.headers["webhook-id"]),
      "webhook-timestamp": String(hook?.headers["webhook-timestamp"]),
      "webhook-signature": String(hook?.headers["webhook-signature"]),
    });
    const row = await findOperation(db, op.id);
    expect(payload).toEqual(
      JSON.parse(JSON.stringify(finalView(finalOperationOf(row as NonNullable<typeof row>)))),
    );
    expect(payload).toMatchObject({ id: op.id, status: "applied", metadata: { orderId: "o-1" } });
  });

  it("notifies rejections too", async () => {
    const op = queuedOp({
      type: "debit",
      account: { userId: "wh-nobody", currency: "BTC" },
      amount: "1",
      bucket: "available",
      callbackUrl: `http://127.0.0.1:${port}/ok`,
    });
    await dispatchNotifications(notify, await apply(op));
    await deliveriesOf(op.id, 1);
    expect(JSON.parse(receivedFor(op.id)[0]?.body ?? "{}")).toMatchObject({
      status: "rejected",
      rejection: { code: "insufficient_funds" },
    });
  });

  it("retries a receiver that fails twice, recording every attempt, with the same event id", async () => {
    // A hostname: the sender connects to the address the guard checked (DNS here has no such name).
    const op = credit(`http://hooks.test:${port}/flaky`);
    await dispatchNotifications(notify, await apply(op));
    const rows = await deliveriesOf(op.id, 3);
    expect(rows.map((r) => [r.attempt, r.status_code, r.error])).toEqual([
      [1, 500, null],
      [2, 500, null],
      [3, 204, null],
    ]);
    const hooks = receivedFor(op.id);
    expect(hooks).toHaveLength(3);
    const receiverSide = new Webhook(secret);
    for (const hook of hooks) {
      expect(hook.headers.host).toBe(`hooks.test:${port}`);
      expect(() =>
        receiverSide.verify(hook.body, {
          "webhook-id": String(hook.headers["webhook-id"]),
          "webhook-timestamp": String(hook.headers["webhook-timestamp"]),
          "webhook-signature": String(hook.headers["webhook-signature"]),
        }),
      ).not.toThrow();
    }
  });

  it("queues a notification once however often it is dispatched", async () => {
    const op = credit(`http://127.0.0.1:${port}/ok`);
    const outcomes = await apply(op);
    await Promise.all([dispatchNotifications(notify, outcomes), dispatchNotifications(notify, outcomes)]);
    await deliveriesOf(op.id, 1);
    await dispatchNotifications(notify, outcomes);
    await queueSettled();
    expect(receivedFor(op.id)).toHaveLength(1);
    expect(await listDeliveries(db, op.id)).toHaveLength(1);
  });

  it("refuses, at delivery time, a name that resolves to a private address, and gives up at once", async () => {
    const op = credit(`http://rebind.test:${port}/hook`);
    await dispatchNotifications(notify, await apply(op));
    const [attempt] = await deliveriesOf(op.id, 1);
    expect(attempt?.status_code).toBeNull();
    expect(attempt?.error).toContain(
      "callback URL refused: rebind.test resolves to 10.0.0.1, a private address",
    );
    await waitFor(async () => (await webhooks.queue.getJob(op.id))?.isFailed(), { message: "job failed" });
    await queueSettled();
    expect(await listDeliveries(db, op.id)).toHaveLength(1);
    expect(receivedFor(op.id)).toEqual([]);
    expect(attempts).toContain("refused");
  });
});

describe("a worker dying between commit and queuing", () => {
  it("is healed by the sweeper", async () => {
    const ops = [credit(`http://127.0.0.1:${port}/ok`), credit(`http://127.0.0.1:${port}/ok`)];
    await apply(...ops); // committed, but the process "died" before dispatchNotifications
    expect(
      await findOutboxRows(
        db,
        ops.map((o) => o.id),
      ),
    ).toHaveLength(2);

    const sweeper = startOutboxSweeper(notify, { intervalMs: 50, staleAfterMs: 0 });
    try {
      for (const op of ops) await deliveriesOf(op.id, 1);
    } finally {
      await sweeper.close();
    }
    expect(
      await findOutboxRows(
        db,
        ops.map((o) => o.id),
      ),
    ).toEqual([]);
    for (const op of ops) expect(receivedFor(op.id)).toHaveLength(1);
  });

  it("is healed by the job's re-run too: a replayed outcome is queued while its outbox row remains", async () => {
    const op = credit(`http://127.0.0.1:${port}/ok`);
    await apply(op); // first run committed and died
    const [replayed] = await apply(op); // the job runs again and finds it applied
    expect(replayed?.replayed).toBe(true);
    await dispatchNotifications(notify, replayed ? [replayed] : []);
    await deliveriesOf(op.id, 1);
    // Replayed again once its notification was queued: nothing owed, nothing queued.
    const [again] = await apply(op);
    await dispatchNotifications(notify, again ? [again] : []);
    await queueSettled();
    expect(receivedFor(op.id)).toHaveLength(1);
  });

  it("sweeps each row once when several workers sweep at the same time", async () => {
    const ops = [1, 2, 3].map(() => credit(`http://127.0.0.1:${port}/ok`));
    await apply(...ops);
    const queued = await Promise.all([
      sweepOutbox(notify, { staleAfterMs: 0 }),
      sweepOutbox(notify, { staleAfterMs: 0 }),
      sweepOutbox(notify, { staleAfterMs: 0 }),
    ]);
    expect(queued.reduce((a, b) => a + b, 0)).toBe(3);
    for (const op of ops) await deliveriesOf(op.id, 1);
    await queueSettled();
    for (const op of ops) expect(receivedFor(op.id)).toHaveLength(1);
  });
});
