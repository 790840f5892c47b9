import { describe, expect, it } from "vitest";
import { acceptedAtOf, isOperationId, newOperationId, partitionOfOperationId } from "./ids.ts";

describe("operation ids", () => {
  it("carry their acceptance time and partition", () => {
    const before = Date.now();
    for (const partition of [0, 1, 7, 15, 31, 32, 255, 1023]) {
      const id = newOperationId(partition);
      expect(isOperationId(id)).toBe(true);
      expect(partitionOfOperationId(id)).toBe(partition);
      expect(acceptedAtOf(id).getTime()).toBeGreaterThanOrEqual(before);
      expect(acceptedAtOf(id).getTime()).toBeLessThanOrEqual(Date.now() + 1);
    }
  });

  it("refuses partitions an id cannot hold, and malformed ids are not ids", () => {
    expect(() => newOperationId(1024)).toThrow(RangeError);
    expect(() => newOperationId(-1)).toThrow(RangeError);
    expect(isOperationId("op_01KB3Z8Q6M2Y9W4T7R5N1C0D8F")).toBe(false);
    expect(isOperationId("op_01KB3Z8Q6M2Y9W4T7R5N1C0D8F0U")).toBe(false);
    expect(isOperationId(`${newOperationId(3)}x`)).toBe(false);
  });
});
