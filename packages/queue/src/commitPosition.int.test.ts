import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { raiseCommitPosition, readCommitPosition } from "./commitPosition.ts";

const redis = new Redis(inject("redisUrl"));
const namespace = `cp-${randomBytes(4).toString("hex")}`;
afterAll(() => redis.disconnect());

describe("the commit high-water mark", () => {
  it("only ever goes up, also across digit boundaries, and refuses malformed positions", async () => {
    expect(await readCommitPosition(redis, namespace)).toBeNull();
    await raiseCommitPosition(redis, namespace, "00000000000000ff");
    await raiseCommitPosition(redis, namespace, "0000000000000100");
    expect(await readCommitPosition(redis, namespace)).toBe("0000000000000100");
    // A worker that read an older position publishes late: the mark stays.
    await raiseCommitPosition(redis, namespace, "00000000000000fe");
    expect(await readCommitPosition(redis, namespace)).toBe("0000000000000100");
    await raiseCommitPosition(redis, namespace, "0000001600000000");
    expect(await readCommitPosition(redis, namespace)).toBe("0000001600000000");
    await expect(raiseCommitPosition(redis, namespace, "16/B374D848")).rejects.toThrow(/16 lowercase hex/);
  });
});
