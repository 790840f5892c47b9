import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HttpApi, type JsonObject } from "./support/httpApi.ts";

// Per-account order: concurrent submissions to ONE account from many connections are applied in an
// order consistent with what each caller could observe (its own sequence, and 202s before sends).

let stack: AppStack;
let api: HttpApi;

beforeAll(async () => {
  stack = await startAppStack({ workers: 2 });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
});
afterAll(async () => {
  await stack?.stop();
});

interface Submission {
  id: string;
  client: number;
  seq: number;
  /** performance.now() just before the request was written and just after its 202 was read. */
  sentAt: number;
  ackAt: number;
  cents: bigint;
}

/** One caller on its own keep-alive connection, sending each operation only after the previous 202. */
class Connection {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly sockets = new Set<Socket>();
  #seq = 0;

  constructor(
    readonly client: number,
    readonly userId: string,
  ) {}

  async send(count: number): Promise<Submission[]> {
    const sent: Submission[] = [];
    for (let i = 0; i < count; i++) {
      const seq = this.#seq++;
      const cents = BigInt((this.client + 1) * 100 + seq);
      const body = {
        type: "credit",
        account: { userId: this.userId, currency: "USD" },
        amount: `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`,
        metadata: { client: this.client, seq },
      };
      const sentAt = performance.now();
      const reply = await this.#post(body);
      const ackAt = performance.now();
      expect(reply.status, JSON.stringify(reply.json)).toBe(202);
      sent.push({ id: reply.json.id as string, client: this.client, seq, sentAt, ackAt, cents });
    }
    return sent;
  }

  close(): void {
    this.#agent.destroy();
  }

  #post(body: JsonObject): Promise<{ status: number; json: JsonObject }> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${stack.apiUrl}/v1/operations`,
        {
          method: "POST",
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${stack.apiKey}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(payload),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString("utf8")),
            }),
          );
        },
      );
      req.on("socket", (socket) => this.sockets.add(socket));
      req.on("error", reject);
      req.end(payload);
    });
  }
}

/** Waits until every submission is applied and returns the account's version for each operation id. */
async function appliedVersions(userId: string, submissions: Submission[]): Promise<Map<string, number>> {
  await waitFor(async () => (await api.balance(userId, "USD")).version === submissions.length, {
    timeoutMs: scaledTimeout(20_000),
    message: `${submissions.length} operations applied to ${userId}`,
  });
  const entries = (await api.entryPages(userId, { currency: "USD", limit: "1000" })).flat();
  expect(entries).toHaveLength(submissions.length);
  const versions = new Map(entries.map((e) => [e.operationId, e.version]));
  expect([...versions.values()].sort((a, b) => a - b)).toEqual(submissions.map((_, i) => i + 1));
  return versions;
}

/** Checks (a) each client's operations in its seq order, (b) every acknowledged-before-sent pair in order. */
function expectObservableOrder(submissions: Submission[], versions: Map<string, number>): void {
  const version = (s: Submission) => versions.get(s.id) as number;
  for (const s of submissions) expect(versions.has(s.id), `operation ${s.id} has an entry`).toBe(true);

  const clients = new Set(submissions.map((s) => s.client));
  for (const client of clients) {
    const own = submissions.filter((s) => s.client === client).sort((a, b) => a.seq - b.seq);
    const ownVersions = own.map(version);
    expect(ownVersions, `client ${client} applied in seq order`).toEqual(
      [...ownVersions].sort((a, b) => a - b),
    );
  }

  let ordered = 0;
  let overlapping = 0;
  for (const a of submissions) {
    for (const b of submissions) {
      if (a === b) continue;
      if (a.ackAt < b.sentAt) {
        ordered += 1;
        if (version(a) > version(b)) {
          expect.fail(
            `${a.id} (client ${a.client} seq ${a.seq}) was acknowledged before ${b.id} (client ${b.client} ` +
              `seq ${b.seq}) was sent, yet applied after it (version ${version(a)} > ${version(b)})`,
          );
        }
      } else if (a.client !== b.client && a.sentAt < b.ackAt && b.sentAt < a.ackAt) {
        overlapping += 1;
      }
    }
  }
  // Both kinds of pairs occurred, so the checks above were not vacuous and the callers did run concurrently.
  expect(ordered).toBeGreaterThan(submissions.length);
  expect(overlapping).toBeGreaterThan(0);
}

async function expectMetadataKept(submissions: Submission[]): Promise<void> {
  for (let i = 0; i < submissions.length; i += 25) {
    await Promise.all(
      submissions.slice(i, i + 25).map(async (s) => {
        const op = await api.getOperation(s.id);
        expect(op.body.status).toBe("applied");
        expect(op.body.metadata).toEqual({ client: s.client, seq: s.seq });
      }),
    );
  }
}

it("applies 8 connections x 25 operations to one account in an order consistent with acknowledgements", async () => {
  const userId = "ord-hot";
  const connections = Array.from({ length: 8 }, (_, client) => new Connection(client, userId));
  try {
    const submissions = (await Promise.all(connections.map((c) => c.send(25)))).flat();
    expect(new Set(connections.flatMap((c) => [...c.sockets])).size).toBeGreaterThanOrEqual(8);
    const versions = await appliedVersions(userId, submissions);
    expectObservableOrder(submissions, versions);
    await expectMetadataKept(submissions);
    const cents = submissions.reduce((sum, s) => sum + s.cents, 0n);
    expect((await api.balance(userId, "USD")).total).toBe(
      `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`,
    );
  } finally {
    for (const c of connections) c.close();
  }
});

it("keeps the order while the account's partition moves between the two worker processes", async () => {
  const userId = "ord-handover";
  const [first, second] = [stack.process("worker-1"), stack.process("worker-2")];
  const connections = Array.from({ length: 4 }, (_, client) => new Connection(client, userId));
  const phase = async () => (await Promise.all(connections.map((c) => c.send(6)))).flat();
  const allFinal = (ops: Submission[]) =>
    waitFor(
      async () => {
        const views = await Promise.all(ops.map((s) => api.getOperation(s.id)));
        return views.every((v) => v.body.status === "applied");
      },
      { timeoutMs: scaledTimeout(20_000), message: "the phase's operations applied" },
    );
  try {
    const both = await phase();
    await first.stop();
    const bySecond = await phase();
    // Only worker-2 runs: it applied these.
    await allFinal(bySecond);
    await first.start();
    await second.stop();
    const byFirst = await phase();
    // Only worker-1 runs: it applied these.
    await allFinal(byFirst);
    const submissions = [...both, ...bySecond, ...byFirst];
    expectObservableOrder(submissions, await appliedVersions(userId, submissions));
  } finally {
    for (const c of connections) c.close();
    await Promise.all([first.start(), second.start()]);
  }
});
