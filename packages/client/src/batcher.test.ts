import { describe, expect, it } from "vitest";
import type { BatchEntry, Outcome } from "./batchDelivery.ts";
import { type BatchingPolicy, SubmitBatcher } from "./batcher.ts";
import { ClientClosedError } from "./errors.ts";

// The batcher's rules with a fake sender whose answers the test releases: when a batch leaves,
// what it carries, who waits for whom. No timer decides anything here: the window is a minute.

interface Call {
  keys: string[];
  answer(): void;
  fail(error: unknown): void;
}

function fakeSender() {
  const calls: Call[] = [];
  const send = (entries: readonly BatchEntry[]) =>
    new Promise<Outcome[]>((resolve, reject) => {
      calls.push({
        keys: entries.map((e) => e.idempotencyKey),
        answer: () =>
          resolve(
            entries.map((e) => ({
              ok: true,
              result: {
                id: `op_${e.idempotencyKey}`,
                status: "accepted",
                replayed: false,
                idempotencyKey: e.idempotencyKey,
              },
            })),
          ),
        fail: reject,
      });
    });
  return { calls, send };
}

const policy = (overrides: Partial<BatchingPolicy> = {}): BatchingPolicy => ({
  windowMs: 60_000,
  maxOperations: 1000,
  maxBytes: 900 * 1024,
  maxConcurrentBatches: 8,
  ...overrides,
});

const entry = (key: string): BatchEntry => ({
  json: JSON.stringify({ idempotencyKey: key }),
  idempotencyKey: key,
});

/** Two turns of the event loop: every flush scheduled for "the end of this turn" has happened. */
const turns = async () => {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
};

describe("the submit batcher", () => {
  it("sends the submits of one turn together when nothing is in flight, each caller its own answer", async () => {
    const { calls, send } = fakeSender();
    const batcher = new SubmitBatcher(policy(), send);
    const answers = ["a", "b", "c"].map((key, i) => batcher.submit(entry(key), [`u${i}`]));
    await turns();
    expect(calls.map((c) => c.keys)).toEqual([["a", "b", "c"]]);
    calls[0]?.answer();
    expect((await Promise.all(answers)).map((r) => r.id)).toEqual(["op_a", "op_b", "op_c"]);
  });

  it("while a batch is in flight, gathers the next until the window or the size limit", async () => {
    const { calls, send } = fakeSender();
    const batcher = new SubmitBatcher(policy({ maxOperations: 3 }), send);
    void batcher.submit(entry("a"), ["u1"]);
    await turns();
    void batcher.submit(entry("b"), ["u2"]);
    void batcher.submit(entry("c"), ["u3"]);
    await turns();
    expect(calls).toHaveLength(1); // b and c wait for company
    void batcher.submit(entry("d"), ["u4"]);
    expect(calls.map((c) => c.keys)).toEqual([["a"], ["b", "c", "d"]]); // full: leaves at once
  });

  it("holds an operation of a user in flight, and every later one of that user, until its batch is answered", async () => {
    const { calls, send } = fakeSender();
    const batcher = new SubmitBatcher(policy({ maxOperations: 4 }), send);
    const a = batcher.submit(entry("a"), ["u1"]);
    await turns();
    const later = [
      batcher.submit(entry("b"), ["u1"]),
      batcher.submit(entry("c"), ["u2"]),
      batcher.submit(entry("d"), ["u2", "u1"]), // a transfer touching both
      batcher.submit(entry("e"), ["u3"]),
    ];
    // Size limit reached: c and e may go, b waits for a, and d for b (it shares u1) and c (u2).
    expect(calls.map((c) => c.keys)).toEqual([["a"], ["c", "e"]]);
    calls[1]?.answer();
    await turns();
    expect(calls).toHaveLength(2); // d still waits for b, behind a
    calls[0]?.answer();
    await a;
    await turns();
    expect(calls.map((c) => c.keys)).toEqual([["a"], ["c", "e"], ["b", "d"]]);
    calls[2]?.answer();
    expect((await Promise.all(later)).map((r) => r.id)).toEqual(["op_b", "op_c", "op_d", "op_e"]);
  });

  it("keeps at most maxConcurrentBatches in flight; the others wait and grow", async () => {
    const { calls, send } = fakeSender();
    const batcher = new SubmitBatcher(policy({ maxOperations: 2, maxConcurrentBatches: 1 }), send);
    for (const key of ["a", "b", "c", "d", "e"]) void batcher.submit(entry(key), [key]);
    await turns();
    expect(calls.map((c) => c.keys)).toEqual([["a", "b"]]);
    calls[0]?.answer();
    await turns();
    expect(calls.map((c) => c.keys)).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("rejects every caller of a batch whose sending failed as a whole", async () => {
    const { calls, send } = fakeSender();
    const batcher = new SubmitBatcher(policy(), send);
    const answers = ["a", "b"].map((key) => batcher.submit(entry(key), [key]));
    await turns();
    const failure = new Error("refused");
    calls[0]?.fail(failure);
    for (const outcome of await Promise.allSettled(answers)) {
      expect(outcome).toEqual({ status: "rejected", reason: failure });
    }
  });

  it("close sends what waits at once, resolves when every batch is answered, then refuses submits", async () => {
    const { calls, send } = fakeSender();
    const batcher = new SubmitBatcher(policy(), send);
    void batcher.submit(entry("a"), ["u1"]);
    await turns();
    const waiting = batcher.submit(entry("b"), ["u2"]);
    let closed = false;
    const closing = batcher.close().then(() => {
      closed = true;
    });
    expect(calls.map((c) => c.keys)).toEqual([["a"], ["b"]]);
    calls[0]?.answer();
    await turns();
    expect(closed).toBe(false);
    calls[1]?.answer();
    await closing;
    expect((await waiting).id).toBe("op_b");
    await expect(batcher.submit(entry("c"), ["u3"])).rejects.toBeInstanceOf(ClientClosedError);
  });
});
