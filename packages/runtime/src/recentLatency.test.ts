import { describe, expect, it } from "vitest";
import { performanceCheck, RecentLatency } from "./recentLatency.ts";

describe("RecentLatency", () => {
  it("gives the quantile of the samples inside the window only", () => {
    let now = 0;
    const latency = new RecentLatency(100, () => now);
    for (let ms = 1; ms <= 100; ms++) latency.record(ms);
    expect(latency.quantile(0.95, 1000)).toBe(95);
    expect(latency.quantile(0.5, 1000)).toBe(50);
    now = 5000;
    latency.record(7);
    // The hundred old samples fell out of a one-second window.
    expect(latency.summary(0.95, 1000)).toEqual({ value: 7, samples: 1 });
  });

  it("keeps only the latest samples when the ring is full", () => {
    const latency = new RecentLatency(4, () => 0);
    for (const ms of [1000, 1000, 1, 2, 3, 4]) latency.record(ms);
    expect(latency.summary(1, 10)).toEqual({ value: 4, samples: 4 });
  });

  it("has no quantile without samples", () => {
    expect(new RecentLatency().quantile(0.95, 60_000)).toBeUndefined();
  });
});

describe("performanceCheck", () => {
  it("is healthy under the threshold and degraded above it, naming the slow latency", async () => {
    const accept = new RecentLatency(10, () => 0);
    const applied = new RecentLatency(10, () => 0);
    accept.record(3);
    applied.record(800);
    const check = performanceCheck({ latencies: { accept, applied }, thresholdMs: 500, windowMs: 1000 });
    expect(await check()).toEqual({
      status: "degraded",
      details: {
        thresholdMs: 500,
        windowSeconds: 1,
        acceptP95Ms: 3,
        acceptSamples: 1,
        appliedP95Ms: 800,
        appliedSamples: 1,
        slow: ["applied"],
      },
    });
    const quiet = performanceCheck({ latencies: { accept: new RecentLatency() }, thresholdMs: 500 });
    expect(await quiet()).toMatchObject({
      status: "healthy",
      details: { acceptP95Ms: null, acceptSamples: 0 },
    });
  });
});
