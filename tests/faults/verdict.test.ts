import { describe, expect, it } from "vitest";
import type { OperationRecord } from "./faultLoad.ts";
import { judgeRun, type SequencedEntry, type StoredOperation } from "./verdict.ts";

// The fault checker must be able to fail: each kind of damage it looks for, planted in a tiny run.

const record = (lid: string, fields: Partial<OperationRecord> = {}): OperationRecord => ({
  lid,
  lane: 0,
  userId: "u1",
  seq: 1,
  type: "credit",
  entries: 2,
  retried: true,
  batch: false,
  outcome: "acknowledged",
  id: `op_${lid}`,
  last: "202",
  attempts: 1,
  ...fields,
});
const stored = (lid: string, fields: Partial<StoredOperation> = {}): StoredOperation => ({
  id: `op_${lid}`,
  lid,
  status: "applied",
  entries: 2,
  ...fields,
});
const entry = (seq: number, version: number, userId = "u1"): SequencedEntry => ({
  userId,
  currency: "USD",
  version,
  seq,
});

describe("judgeRun", () => {
  it("passes a clean run and counts applied, rejected and unacknowledged outcomes", () => {
    const verdict = judgeRun(
      [
        record("a"),
        record("b"),
        record("c", { outcome: "no-answer", id: undefined }),
        record("d", { outcome: "refused" }),
      ],
      [stored("a"), stored("b", { status: "rejected", entries: 0 }), stored("c")],
      [entry(1, 1), entry(3, 2)],
    );
    expect(verdict).toMatchObject({
      acknowledged: 2,
      applied: 1,
      rejected: 1,
      lost: [],
      duplicated: [],
      partial: [],
      wrongId: [],
      outOfOrder: [],
      stray: [],
      unacknowledgedApplied: 1,
      unacknowledgedAbsent: 1,
    });
  });

  it("finds a lost, a duplicated, a partial and a misnamed operation", () => {
    const verdict = judgeRun(
      [record("lost"), record("twice"), record("half"), record("renamed")],
      [
        stored("twice"),
        stored("twice", { id: "op_other" }),
        stored("half", { entries: 1 }),
        stored("renamed", { id: "op_elsewhere" }),
      ],
      [],
    );
    expect(verdict.lost).toHaveLength(1);
    expect(verdict.duplicated).toHaveLength(1);
    expect(verdict.partial).toHaveLength(1);
    expect(verdict.wrongId).toHaveLength(1);
  });

  it("finds entries of a rejected operation, stray operations and an account out of order", () => {
    const verdict = judgeRun(
      [record("r")],
      [stored("r", { status: "rejected", entries: 2 }), stored("nobody")],
      [entry(1, 1), entry(3, 2), entry(2, 3), entry(1, 1, "u2"), entry(1, 1, "u2")],
    );
    expect(verdict.partial).toHaveLength(1);
    expect(verdict.stray).toHaveLength(1);
    expect(verdict.outOfOrder).toEqual(["u1/USD: seq 2 at version 3 after seq 3 at version 2"]);
  });

  it("does not count a second id of one key that PostgreSQL refused as a duplicate application", () => {
    const verdict = judgeRun(
      [record("k", { id: "op_k2" })],
      [stored("k"), stored("k", { id: "op_k2", status: "rejected", entries: 0, duplicateOf: "op_k" })],
      [],
    );
    expect(verdict.duplicated).toEqual([]);
    expect(verdict.wrongId).toEqual([]);
    expect(verdict.duplicateIdsRefused).toBe(1);
    // Two applied rows for one key are still a duplicate.
    expect(judgeRun([record("k")], [stored("k"), stored("k", { id: "op_k2" })], []).duplicated).toHaveLength(
      1,
    );
  });
});
