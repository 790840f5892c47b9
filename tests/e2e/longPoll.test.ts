import { setTimeout as sleep } from "node:timers/promises";
import { newOperationId } from "@accounts/domain";
import { type AppStack, type StackProcess, startAppStack } from "@accounts/tests/harness";
import { afterAll, beforeAll, expect, it } from "vitest";
import { expectProblem, HttpApi } from "./support/httpApi.ts";

// `GET /v1/operations/{id}?wait=N`: held until the operation is final or N seconds pass.

let stack: AppStack;
let api: HttpApi;
let worker: StackProcess;

beforeAll(async () => {
  // One worker: freezing it keeps operations pending for as long as a test needs.
  stack = await startAppStack({ workers: 1 });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
  worker = stack.process("worker-1");
});
afterAll(async () => {
  if (worker?.running()) thaw();
  await stack?.stop();
});

/**
 * Suspends the worker process (SIGSTOP) and resumes it (SIGCONT): unlike a stop and start, the
 * worker goes on at once, so the time a poll takes is the time until the operation is applied.
 */
const freeze = () => process.kill(worker.pid(), "SIGSTOP");
const thaw = () => process.kill(worker.pid(), "SIGCONT");

const credit = { type: "credit", account: { userId: "poll-1", currency: "BTC" }, amount: "0.25" };

it("returns as soon as the operation is applied, well before the wait ends", async () => {
  freeze();
  let reply: Awaited<ReturnType<HttpApi["getOperation"]>>;
  try {
    const id = await api.accept(credit);
    const poll = api.getOperation(id, 10);
    // Nothing can apply the operation for this long: a quick answer would not be a long poll.
    await sleep(500);
    thaw();
    reply = await poll;
  } finally {
    thaw();
  }
  expect(reply.status).toBe(200);
  expect(reply.body.status).toBe("applied");
  expect(reply.body.balances).toEqual([
    {
      userId: "poll-1",
      currency: "BTC",
      available: "0.25000000",
      reserved: "0.00000000",
      total: "0.25000000",
      version: 1,
    },
  ]);
  console.info(`long poll (wait=10) answered after ${Math.round(reply.ms)} ms, the worker frozen for 500 ms`);
  expect(reply.ms).toBeGreaterThanOrEqual(450);
  expect(reply.ms).toBeLessThan(10_000);
});

it("answers a final operation at once, and a rejected one is final too", async () => {
  const rejectedId = await api.accept({
    type: "debit",
    account: { userId: "poll-2", currency: "BTC" },
    amount: "1",
  });
  const reply = await api.getOperation(rejectedId, 10);
  expect(reply.body.status).toBe("rejected");
  expect(reply.ms).toBeLessThan(10_000);
  const again = await api.getOperation(rejectedId, 30);
  expect(again.body).toEqual(reply.body);
  expect(again.ms).toBeLessThan(10_000);
});

it("answers the pending representation when the wait runs out", async () => {
  freeze();
  try {
    const id = await api.accept(credit);
    const reply = await api.getOperation(id, 1);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id, type: "credit", status: "accepted" });
    expect(reply.body.finishedAt).toBeUndefined();
    // It held the request for the wait (generous lower bound: the server's clock, not ours).
    expect(reply.ms).toBeGreaterThanOrEqual(900);
    const now = await api.getOperation(id);
    expect(now.body.status).toBe("accepted");
  } finally {
    thaw();
  }
});

it("answers 404 for an unknown id, also with a wait", async () => {
  const unknown = newOperationId();
  expectProblem(await api.getOperation(unknown, 1), 404, "not_found");
  expectProblem(await api.getOperation("op_not-an-id", 1), 404, "not_found");
});

it("refuses a wait outside 0-30 seconds", async () => {
  const id = await api.accept(credit);
  expectProblem(await api.getOperation(id, 31), 400, "invalid_request", ["wait"]);
  expectProblem(await api.call("GET", `/v1/operations/${id}?wait=-1`), 400, "invalid_request", ["wait"]);
});
