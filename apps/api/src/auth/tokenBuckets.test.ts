import { describe, expect, it } from "vitest";
import { TokenBuckets } from "./tokenBuckets.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("TokenBuckets", () => {
  it("allows a burst of `capacity`, then refuses with the seconds until one token is back", () => {
    const time = clock();
    const buckets = new TokenBuckets({ maxKeys: 10, now: time.now });
    for (let i = 0; i < 5; i++) expect(buckets.take("a", 5, 5)).toEqual({ ok: true });
    expect(buckets.take("a", 5, 5)).toEqual({ ok: false, retryAfterSeconds: 1 });
    time.advance(200);
    expect(buckets.take("a", 5, 5)).toEqual({ ok: true });
    expect(buckets.take("a", 5, 5).ok).toBe(false);
  });

  it("refills continuously up to the capacity, never beyond", () => {
    const time = clock();
    const buckets = new TokenBuckets({ maxKeys: 10, now: time.now });
    for (let i = 0; i < 10; i++) buckets.take("a", 10, 10);
    time.advance(500);
    expect(buckets.tokens("a", 10, 10)).toBeCloseTo(5);
    time.advance(60_000);
    expect(buckets.tokens("a", 10, 10)).toBe(10);
  });

  it("says how long a slow bucket must wait (whole seconds, at least 1)", () => {
    const time = clock();
    const buckets = new TokenBuckets({ maxKeys: 10, now: time.now });
    // 20 per minute: one token every 3 s.
    const rate = 20 / 60;
    for (let i = 0; i < 20; i++) expect(buckets.take("ip", rate, 20).ok).toBe(true);
    expect(buckets.waitSeconds("ip", rate, 20)).toBe(3);
    expect(buckets.take("ip", rate, 20)).toEqual({ ok: false, retryAfterSeconds: 3 });
    time.advance(2_000);
    expect(buckets.waitSeconds("ip", rate, 20)).toBe(1);
    time.advance(1_000);
    expect(buckets.waitSeconds("ip", rate, 20)).toBe(0);
    expect(buckets.waitSeconds("never-seen", rate, 20)).toBe(0);
  });

  it("keeps buckets apart per key", () => {
    const buckets = new TokenBuckets({ maxKeys: 10, now: clock().now });
    expect(buckets.take("a", 1, 1).ok).toBe(true);
    expect(buckets.take("a", 1, 1).ok).toBe(false);
    expect(buckets.take("b", 1, 1).ok).toBe(true);
  });

  it("bounds its memory by forgetting the least recently used key", () => {
    const buckets = new TokenBuckets({ maxKeys: 3, now: clock().now });
    for (const key of ["a", "b", "c"]) buckets.take(key, 1, 1);
    buckets.take("a", 1, 1); // a is now the most recent; b the least
    buckets.take("d", 1, 1);
    expect(buckets.size).toBe(3);
    expect(buckets.tokens("b", 1, 1)).toBe(1); // forgotten: full again
    expect(buckets.tokens("a", 1, 1)).toBe(0);
    for (let i = 0; i < 10_000; i++) buckets.take(`k${i}`, 1, 1);
    expect(buckets.size).toBe(3);
  });

  it("does not drain when the clock steps back", () => {
    const time = clock();
    const buckets = new TokenBuckets({ maxKeys: 3, now: time.now });
    buckets.take("a", 1, 2);
    time.advance(-10_000);
    expect(buckets.tokens("a", 1, 2)).toBe(1);
  });
});
