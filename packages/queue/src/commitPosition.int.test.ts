import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { accountScope, operationScope, raiseCommitPosition, readCommitPosition } from "./commitPosition.ts";

const redis = new Redis(inject("redisUrl"));
const namespace = `cp-${randomBytes(4).toString("hex")}`;
afterAll(() => redis.disconnect());

describe("the commit high-water marks", () => {
  it("only ever go up, per scope, also across digit boundaries, and refuse malformed positions", async () => {
    const alice = accountScope("alice");
    const p3 = operationScope(3);
    // Nothing published: nothing known.
    expect(await readCommitPosition(redis, namespace, alice)).toBeNull();
    await raiseCommitPosition(redis, namespace, "00000000000000ff", [alice, p3]);
    await raiseCommitPosition(redis, namespace, "0000000000000100", [p3]);
    expect(await readCommitPosition(redis, namespace, alice)).toBe("00000000000000ff");
    expect(await readCommitPosition(redis, namespace, p3)).toBe("0000000000000100");
    // A scope no reported batch touched: any replica has all of it.
    expect(await readCommitPosition(redis, namespace, operationScope(4))).toBe("0000000000000000");
    // A worker that read an older position publishes late: the mark stays.
    await raiseCommitPosition(redis, namespace, "00000000000000fe", [alice, p3]);
    expect(await readCommitPosition(redis, namespace, alice)).toBe("00000000000000ff");
    expect(await readCommitPosition(redis, namespace, p3)).toBe("0000000000000100");
    await raiseCommitPosition(redis, namespace, "0000001600000000", [alice]);
    expect(await readCommitPosition(redis, namespace, alice)).toBe("0000001600000000");
    await expect(raiseCommitPosition(redis, namespace, "16/B374D848", [alice])).rejects.toThrow(
      /16 lowercase hex/,
    );
  });
});
