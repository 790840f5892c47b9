import { describe, expect, it } from "vitest";
import type { AuthenticatedClient } from "../http/context.ts";
import { AuthFailureLimiter, ClientRateLimiter } from "./rateLimit.ts";

function clock(start = 5_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const client = (id: string, rateLimit: number): AuthenticatedClient => ({
  id,
  name: id,
  scopes: new Set(),
  rateLimit,
});

describe("ClientRateLimiter", () => {
  it("gives each client its own rate limit per second, with a one-second burst", () => {
    const time = clock();
    const limiter = new ClientRateLimiter({ now: time.now });
    const slow = client("slow", 3);
    const fast = client("fast", 1000);
    for (let i = 0; i < 3; i++) expect(limiter.take(slow).ok).toBe(true);
    expect(limiter.take(slow)).toEqual({ ok: false, retryAfterSeconds: 1 });
    for (let i = 0; i < 1000; i++) expect(limiter.take(fast).ok).toBe(true);
    expect(limiter.take(fast).ok).toBe(false);
    time.advance(1_000);
    for (let i = 0; i < 3; i++) expect(limiter.take(slow).ok).toBe(true);
    expect(limiter.take(slow).ok).toBe(false);
  });

  it("follows a changed rate limit at once (the registry reloads clients)", () => {
    const time = clock();
    const limiter = new ClientRateLimiter({ now: time.now });
    expect(limiter.take(client("c", 1)).ok).toBe(true);
    expect(limiter.take(client("c", 1)).ok).toBe(false);
    time.advance(100);
    // Raised to 100/s: 0.1 s later it has regained 10 tokens.
    expect(limiter.take(client("c", 100)).ok).toBe(true);
  });
});

describe("AuthFailureLimiter", () => {
  it("blocks an address after N failures per minute and lets one more through every 60/N s", () => {
    const time = clock();
    const limiter = new AuthFailureLimiter({ failuresPerMinute: 20, now: time.now });
    for (let i = 0; i < 19; i++) {
      expect(limiter.blockedFor("10.0.0.1")).toBe(0);
      expect(limiter.recordFailure("10.0.0.1")).toEqual({ blocked: false });
    }
    expect(limiter.recordFailure("10.0.0.1")).toEqual({ blocked: true });
    expect(limiter.blockedFor("10.0.0.1")).toBe(3);
    expect(limiter.blockedFor("10.0.0.2")).toBe(0);
    time.advance(3_000);
    expect(limiter.blockedFor("10.0.0.1")).toBe(0);
    expect(limiter.recordFailure("10.0.0.1")).toEqual({ blocked: true });
    time.advance(60_000);
    expect(limiter.blockedFor("10.0.0.1")).toBe(0);
  });

  it("bounds the addresses it remembers", () => {
    const limiter = new AuthFailureLimiter({ failuresPerMinute: 1, maxAddresses: 100, now: clock().now });
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`ip-${i}`);
    expect(limiter.blockedFor("ip-999")).toBeGreaterThan(0);
    expect(limiter.blockedFor("ip-0")).toBe(0);
  });

  it("refuses a nonsensical limit", () => {
    expect(() => new AuthFailureLimiter({ failuresPerMinute: 0 })).toThrow(RangeError);
  });
});
