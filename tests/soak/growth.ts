/** One series of samples: time in minutes since the start, and the value. */
export interface Series {
  name: string;
  unit: string;
  points: readonly { minute: number; value: number }[];
  /** Growth per minute above which a steady trend fails the soak. */
  maxSlopePerMinute: number;
  /** Its own warm-up (minutes), when it reaches its steady state later than the processes do. */
  warmupMinutes?: number;
}

export interface GrowthVerdict {
  name: string;
  unit: string;
  first: number;
  last: number;
  min: number;
  max: number;
  /** Least-squares slope over the samples after the warm-up, per minute. */
  slopePerMinute: number;
  /** How much of the variation the trend explains (0..1): near 1 for a leak, near 0 for noise. */
  rSquared: number;
  /** False when fewer than three samples came after the warm-up: nothing to judge. */
  judged: boolean;
  growsSteadily: boolean;
}

/** The trend explains at least this share of the variation: a steady climb, not a sawtooth. */
export const MIN_R_SQUARED = 0.5;

/**
 * Least-squares fit of `value = a + slope * minute`. With fewer than three points, or no spread in
 * time, the slope is 0.
 *
 * @example
 * leastSquares([{ minute: 0, value: 1 }, { minute: 1, value: 3 }, { minute: 2, value: 5 }]) // { slope: 2, rSquared: 1 }
 */
export function leastSquares(points: readonly { minute: number; value: number }[]): {
  slope: number;
  rSquared: number;
} {
  const n = points.length;
  if (n < 3) return { slope: 0, rSquared: 0 };
  const meanX = points.reduce((s, p) => s + p.minute, 0) / n;
  const meanY = points.reduce((s, p) => s + p.value, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.minute - meanX) ** 2;
    sxy += (p.minute - meanX) * (p.value - meanY);
    syy += (p.value - meanY) ** 2;
  }
  if (sxx === 0) return { slope: 0, rSquared: 0 };
  const slope = sxy / sxx;
  // A flat series (no variation at all) has nothing to explain: not a trend.
  const rSquared = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, rSquared };
}

/**
 * Whether a series grows steadily after the warm-up: its least-squares slope over the samples
 * taken after `warmupMinutes` passes the series' threshold per minute AND the trend explains at
 * least half of the variation (R² ≥ 0.5). Garbage-collected heaps saw up and down; a leak climbs.
 *
 * @example
 * judgeGrowth({ name: "api RSS", unit: "MiB", maxSlopePerMinute: 4, points }, 2).growsSteadily
 */
export function judgeGrowth(series: Series, warmupMinutes: number): GrowthVerdict {
  const values = series.points.map((p) => p.value);
  const steady = series.points.filter((p) => p.minute >= (series.warmupMinutes ?? warmupMinutes));
  const { slope, rSquared } = leastSquares(steady);
  return {
    name: series.name,
    unit: series.unit,
    first: values[0] ?? 0,
    last: values[values.length - 1] ?? 0,
    min: Math.min(...values),
    max: Math.max(...values),
    slopePerMinute: slope,
    rSquared,
    judged: steady.length >= 3,
    growsSteadily: slope > series.maxSlopePerMinute && rSquared >= MIN_R_SQUARED,
  };
}
