import { describe, expect, it } from "vitest";
import { pause, retryDelayMs } from "./backoff.ts";

describe("retryDelayMs", () => {
  it("doubles from the base up to the cap, with full jitter over the upper half", () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 100, 5000, low))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 100, 5000, high))).toEqual([
      100, 200, 400, 800,
    ]);
    expect(retryDelayMs(20, 100, 5000, low)).toBe(2500);
    expect(retryDelayMs(20, 100, 5000, high)).toBe(5000);
  });
});

describe("pause", () => {
  it("ends at once when its signal aborts, and never starts on an aborted one", async () => {
    const stop = new AbortController();
    const waiting = pause(60_000, stop.signal);
    stop.abort();
    await expect(waiting).resolves.toBeUndefined();
    await expect(pause(60_000, stop.signal)).resolves.toBeUndefined();
  });
});
