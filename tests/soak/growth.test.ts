import { describe, expect, it } from "vitest";
import { judgeGrowth, leastSquares } from "./growth.ts";

const series = (values: number[], perMinute = 6) =>
  values.map((value, i) => ({ minute: i / perMinute, value }));

describe("leastSquares", () => {
  it("fits a line exactly", () => {
    expect(leastSquares(series([1, 2, 3, 4], 1))).toEqual({ slope: 1, rSquared: 1 });
  });

  it("finds no trend in a flat or too short series", () => {
    expect(leastSquares(series([5, 5, 5, 5]))).toEqual({ slope: 0, rSquared: 0 });
    expect(leastSquares(series([1, 9]))).toEqual({ slope: 0, rSquared: 0 });
  });
});

describe("judgeGrowth", () => {
  const judge = (values: number[], max = 4, warmup = 1) =>
    judgeGrowth({ name: "rss", unit: "MiB", maxSlopePerMinute: max, points: series(values) }, warmup);

  it("fails a steady climb after the warm-up", () => {
    // 1 MiB every 10 s: 6 MiB per minute, over a threshold of 4.
    const leak = Array.from({ length: 30 }, (_, i) => 100 + i);
    expect(judge(leak)).toMatchObject({ growsSteadily: true });
    expect(judge(leak).slopePerMinute).toBeCloseTo(6);
  });

  it("passes growth during the warm-up, then a plateau", () => {
    const warm = [...Array.from({ length: 6 }, (_, i) => 100 + 10 * i), ...Array(24).fill(160)];
    expect(judge(warm).growsSteadily).toBe(false);
  });

  it("passes a garbage-collected sawtooth whose peaks stay level", () => {
    const sawtooth = Array.from({ length: 36 }, (_, i) => 120 + (i % 6) * 8);
    expect(judge(sawtooth).growsSteadily).toBe(false);
  });

  it("judges a series only after its own warm-up", () => {
    const filling = Array.from({ length: 30 }, (_, i) => 100 + i);
    const points = series(filling);
    const late = judgeGrowth(
      { name: "redis", unit: "MiB", maxSlopePerMinute: 1, points, warmupMinutes: 10 },
      1,
    );
    expect(late).toMatchObject({ judged: false, growsSteadily: false });
  });

  it("passes a slow climb under the threshold", () => {
    const slow = Array.from({ length: 30 }, (_, i) => 100 + i * 0.25);
    expect(judge(slow).growsSteadily).toBe(false);
  });
});
