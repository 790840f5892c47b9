import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { capturingLogger } from "./logger.ts";
import { ThrottledLog } from "./throttledLog.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ThrottledLog", () => {
  it("logs the first occurrence at once and the repeats of a window as one line with their count", () => {
    const { log, lines } = capturingLogger("info");
    const throttled = new ThrottledLog(log, { intervalMs: 30_000 });
    for (let i = 0; i < 451; i++) throttled.warn("redis", { attempt: i }, "Redis unreachable");
    expect(lines).toMatchObject([{ level: "warn", attempt: 0, msg: "Redis unreachable" }]);
    vi.advanceTimersByTime(30_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      level: "warn",
      attempt: 450,
      suppressed: 450,
      msg: "Redis unreachable",
    });
  });

  it("keeps one line per interval while a key keeps repeating, and goes quiet when it stops", () => {
    const { log, lines } = capturingLogger("info");
    const throttled = new ThrottledLog(log, { intervalMs: 1000 });
    for (let second = 0; second < 3; second++) {
      for (let i = 0; i < 10; i++) throttled.warn("k", {}, "again");
      vi.advanceTimersByTime(1000);
    }
    expect(lines.map((line) => line.suppressed)).toEqual([undefined, 9, 10, 10]);
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(4);
    // A new occurrence after the quiet is logged at once again.
    throttled.warn("k", {}, "again");
    expect(lines).toHaveLength(5);
    expect(lines[4]?.suppressed).toBeUndefined();
  });

  it("counts each key on its own", () => {
    const { log, lines } = capturingLogger("info");
    const throttled = new ThrottledLog(log, { intervalMs: 1000 });
    throttled.warn("a", {}, "a failed");
    throttled.error("b", {}, "b failed");
    throttled.warn("a", {}, "a failed");
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      ["warn", "a failed"],
      ["error", "b failed"],
    ]);
  });

  it("logs what is held back when flushed (at shutdown)", () => {
    const { log, lines } = capturingLogger("info");
    const throttled = new ThrottledLog(log, { intervalMs: 60_000 });
    throttled.info("jobs", { n: 1 }, "x");
    throttled.info("jobs", { n: 2 }, "x");
    throttled.flush();
    expect(lines).toMatchObject([{ n: 1 }, { n: 2, suppressed: 1 }]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
