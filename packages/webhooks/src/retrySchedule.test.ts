import { describe, expect, it } from "vitest";
import {
  DELIVERY_ATTEMPTS,
  minimumRetryWindowMs,
  nominalRetryDelayMs,
  RETRY_CAP_MS,
  retryDelayMs,
} from "./retrySchedule.ts";

const HOUR = 3_600_000;

describe("the webhook retry schedule", () => {
  it("doubles from 1 s and is capped at 1 h", () => {
    expect([1, 2, 3, 4, 12, 13, 43].map(nominalRetryDelayMs)).toEqual([
      1_000,
      2_000,
      4_000,
      8_000,
      2_048_000,
      RETRY_CAP_MS,
      RETRY_CAP_MS,
    ]);
    expect(nominalRetryDelayMs(1000)).toBe(RETRY_CAP_MS);
  });

  it("keeps retrying for at least 24 h even with the shortest jitter draws", () => {
    expect(minimumRetryWindowMs(DELIVERY_ATTEMPTS)).toBeGreaterThanOrEqual(24 * HOUR);
    // ...and not needlessly long: one attempt fewer would not be enough.
    expect(minimumRetryWindowMs(DELIVERY_ATTEMPTS - 1)).toBeLessThan(24 * HOUR);
  });

  it("jitters each delay within ±25%", () => {
    expect(retryDelayMs(3, () => 0)).toBe(3_000);
    expect(retryDelayMs(3, () => 0.5)).toBe(4_000);
    expect(retryDelayMs(3, () => 0.999999)).toBe(5_000);
    for (let i = 0; i < 200; i += 1) {
      const delay = retryDelayMs(20);
      expect(delay).toBeGreaterThanOrEqual(0.75 * HOUR);
      expect(delay).toBeLessThanOrEqual(1.25 * HOUR);
    }
  });
});
