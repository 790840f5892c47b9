import { describe, expect, it } from "vitest";
import { fnv1a32, partitionOf, partitionOfUser } from "./routing.ts";

// The partition of an account must never change while operations for it may be queued: a change
// reorders them (two partitions apply in parallel) and strands their pending records. These values
// are pinned: a test that fails here is a change of routing, not a test to update.

describe("fnv1a32", () => {
  it("is FNV-1a (32-bit) as published: the reference test vectors", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  it("hashes the UTF-8 bytes, not UTF-16 code units", () => {
    expect(fnv1a32("ümlaut")).toBe(0xcf6c343f);
  });
});

describe("partitionOfUser", () => {
  it("routes these users to these partitions, for 16 and for 256 partitions (golden values)", () => {
    const users = ["alice", "bob", "market-maker-1", "user_00042", "@external:7"];
    expect(users.map((user) => partitionOfUser(user, 16))).toEqual([7, 4, 14, 11, 7]);
    expect(users.map((user) => partitionOfUser(user, 256))).toEqual([231, 212, 222, 75, 183]);
  });

  it("refuses a partition count that is not a positive integer", () => {
    for (const partitions of [0, -1, 1.5, Number.NaN]) {
      expect(() => partitionOfUser("alice", partitions)).toThrow(RangeError);
    }
  });
});

describe("partitionOf", () => {
  it("orders an operation by its account, and a transfer by its first posting's sender", () => {
    expect(
      partitionOf({ type: "credit", account: { userId: "alice", currency: "BTC" }, amount: "1" }, 16),
    ).toBe(7);
    const transfer = {
      type: "transfer" as const,
      postings: [
        {
          from: { userId: "bob", bucket: "reserved" as const },
          to: { userId: "alice", bucket: "available" as const },
          currency: "BTC",
          amount: "1",
        },
        {
          from: { userId: "alice", bucket: "reserved" as const },
          to: { userId: "bob", bucket: "available" as const },
          currency: "USD",
          amount: "1",
        },
      ],
    };
    expect(partitionOf(transfer, 16)).toBe(partitionOfUser("bob", 16));
  });
});
