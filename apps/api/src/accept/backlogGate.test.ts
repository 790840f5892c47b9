import { describe, expect, it } from "vitest";
import { BacklogGate } from "./backlogGate.ts";

/** A waiting count that answers the given values in turn (the last one from then on). */
function counts(...values: number[]) {
  const reads: number[] = [];
  return {
    reads,
    waiting: async (partition: number) => {
      reads.push(partition);
      return values[Math.min(reads.length - 1, values.length - 1)] as number;
    },
  };
}

describe("BacklogGate", () => {
  it("lets a job through at once while the partition is under the limit", async () => {
    const source = counts(3);
    const gate = new BacklogGate({
      maxWaitingJobs: 10,
      maxHoldMs: 60_000,
      pollMs: 0,
      waiting: source.waiting,
    });
    await gate.admit(2);
    expect(source.reads).toEqual([2]);
  });

  it("holds a job until the partition drained below the limit, and says so once", async () => {
    const source = counts(12, 11, 10, 4);
    const holds: [number, number][] = [];
    const gate = new BacklogGate({
      maxWaitingJobs: 10,
      maxHoldMs: 60_000,
      pollMs: 1,
      waiting: source.waiting,
      onHold: (partition, waiting) => holds.push([partition, waiting]),
    });
    await gate.admit(5);
    // Read until the fourth count (4) was under the limit: 12, 11 and 10 held it.
    expect(source.reads).toEqual([5, 5, 5, 5]);
    expect(holds).toEqual([[5, 12]]);
  });

  it("holds a large job by the operations waiting, a small one only by the jobs", async () => {
    const source = counts(5, 5, 0);
    const holds: [number, number][] = [];
    const gate = new BacklogGate({
      maxWaitingJobs: 100,
      maxWaitingOperations: 2000,
      maxHoldMs: 60_000,
      pollMs: 0,
      waiting: source.waiting,
      onHold: (partition, waiting) => holds.push([partition, waiting]),
    });
    // 5 waiting jobs of 10 operations: about 50 operations, under both limits.
    await gate.admit(1, 10);
    expect(holds).toEqual([]);
    // 5 waiting jobs of 500 operations: about 2500 operations, held until the partition drained.
    await gate.admit(1, 500);
    expect(holds).toEqual([[1, 5]]);
    expect(source.reads).toEqual([1, 1, 1]);
  });

  it("admits at once while the last count was under the limit, reading the next count meanwhile", async () => {
    let reads = 0;
    const gate = new BacklogGate({
      maxWaitingJobs: 10,
      maxHoldMs: 60_000,
      pollMs: 0,
      // The first read answers 3; every later one never answers (a slow Redis).
      waiting: () => (++reads === 1 ? Promise.resolve(3) : new Promise<number>(() => {})),
    });
    await gate.admit(0);
    await gate.admit(0);
    await gate.admit(0);
    expect(reads).toBe(3);
  });

  it("takes a count observed with a store as a fresh read", async () => {
    const source = counts(0);
    const holds: number[] = [];
    const gate = new BacklogGate({
      maxWaitingJobs: 10,
      maxHoldMs: 60_000,
      pollMs: 60_000,
      waiting: source.waiting,
      onHold: (_partition, waiting) => holds.push(waiting),
    });
    gate.observe(4, 3);
    await gate.admit(4);
    expect(source.reads).toEqual([]);
    // Held on an observed 12 without a read of its own, until its deadline (pollMs is long).
    const held = new BacklogGate({
      maxWaitingJobs: 10,
      maxHoldMs: 20,
      pollMs: 60_000,
      waiting: source.waiting,
      onHold: (_partition, waiting) => holds.push(waiting),
    });
    held.observe(4, 12);
    await held.admit(4);
    expect(holds).toEqual([12]);
    expect(source.reads).toEqual([]);
  });

  it("stores anyway once held for maxHoldMs, so the gate never refuses", async () => {
    const source = counts(1000);
    const gate = new BacklogGate({ maxWaitingJobs: 10, maxHoldMs: 30, pollMs: 5, waiting: source.waiting });
    await expect(gate.admit(0)).resolves.toBeUndefined();
    expect(source.reads.length).toBeGreaterThan(1);
  });

  it("never holds when the count cannot be read, or when switched off", async () => {
    const failing = new BacklogGate({
      maxWaitingJobs: 10,
      maxHoldMs: 60_000,
      pollMs: 1,
      waiting: () => Promise.reject(new Error("Connection is closed.")),
    });
    await failing.admit(1);
    const source = counts(1000);
    const off = new BacklogGate({ maxWaitingJobs: 0, maxHoldMs: 60_000, pollMs: 1, waiting: source.waiting });
    await off.admit(1);
    expect(source.reads).toEqual([]);
  });

  it("reads a partition's count once for the jobs admitted within pollMs", async () => {
    const source = counts(0);
    const gate = new BacklogGate({
      maxWaitingJobs: 10,
      maxHoldMs: 1000,
      pollMs: 60_000,
      waiting: source.waiting,
    });
    await Promise.all([gate.admit(1), gate.admit(1), gate.admit(2)]);
    expect(source.reads).toEqual([1, 2]);
  });
});
