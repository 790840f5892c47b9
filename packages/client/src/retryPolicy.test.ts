import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  classifyNoAnswer,
  DEFAULT_RETRY,
  isRetryableStatus,
  nextDelay,
  retryAfterMs,
} from "./retryPolicy.ts";

describe("the retry policy", () => {
  it("backs off exponentially with full jitter, capped", () => {
    expect(backoffDelay(0, DEFAULT_RETRY, () => 1)).toBe(50);
    expect(backoffDelay(3, DEFAULT_RETRY, () => 1)).toBe(400);
    expect(backoffDelay(3, DEFAULT_RETRY, () => 0.5)).toBe(200);
    expect(backoffDelay(3, DEFAULT_RETRY, () => 0)).toBe(0);
    expect(backoffDelay(20, DEFAULT_RETRY, () => 1)).toBe(2000);
    expect(backoffDelay(5000, DEFAULT_RETRY, () => 1)).toBe(2000);
  });

  it("takes Retry-After as a floor and stops when the budget is spent", () => {
    expect(nextDelay({ attempt: 0, elapsedMs: 0, retryAfterMs: 1000 }, DEFAULT_RETRY, () => 1)).toBe(1000);
    expect(nextDelay({ attempt: 10, elapsedMs: 0, retryAfterMs: 10 }, DEFAULT_RETRY, () => 1)).toBe(2000);
    expect(nextDelay({ attempt: 0, elapsedMs: 29_990, retryAfterMs: 1000 }, DEFAULT_RETRY)).toBeUndefined();
    expect(nextDelay({ attempt: 4, elapsedMs: 10, immediate: true }, DEFAULT_RETRY, () => 1)).toBe(0);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-27T06:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3000);
    expect(retryAfterMs("Fri, 27 Nov 2026 06:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("Fri, 27 Nov 2026 05:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it("retries 502, 503 and 504 only", () => {
    expect([400, 401, 403, 404, 409, 413, 429, 500, 502, 503, 504].filter(isRetryableStatus)).toEqual([
      502, 503, 504,
    ]);
  });

  it("classifies what fetch throws when no answer came", () => {
    const failed = (code: string) =>
      new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });
    expect(classifyNoAnswer(failed("ECONNREFUSED"))).toBe("refused");
    expect(classifyNoAnswer(failed("ECONNRESET"))).toBe("dropped");
    expect(classifyNoAnswer(failed("UND_ERR_SOCKET"))).toBe("dropped");
    expect(classifyNoAnswer(failed("UND_ERR_CONNECT_TIMEOUT"))).toBe("timeout");
    expect(classifyNoAnswer(new DOMException("timed out", "TimeoutError"))).toBe("timeout");
    // Not about the network: a bug, never retried.
    expect(classifyNoAnswer(new TypeError("Cannot read properties of undefined"))).toBeUndefined();
    expect(classifyNoAnswer(new RangeError("x"))).toBeUndefined();
  });
});
