import { expect, it } from "vitest";
import { keySlot } from "./keySlot.ts";

// Values from `CLUSTER KEYSLOT` of Redis 7 and the cluster specification's CRC16 check value.
it("computes Redis Cluster's slot of a key", () => {
  expect(keySlot("123456789")).toBe(0x31c3);
  expect(keySlot("foo")).toBe(12182);
  expect(keySlot("bar")).toBe(5061);
  expect(keySlot("hello")).toBe(866);
});

it("hashes only the hash tag when the key has a non-empty one", () => {
  expect(keySlot("acct:{ops-07}:wait")).toBe(keySlot("ops-07"));
  expect(keySlot("x{user1000}.following")).toBe(keySlot("user1000"));
  // An empty tag `{}` is not a tag: the whole key is hashed.
  expect(keySlot("foo{}{bar}")).not.toBe(keySlot("bar"));
  expect(keySlot("foo{{bar}}zap")).toBe(keySlot("{bar"));
});
