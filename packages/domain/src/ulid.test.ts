import { decodeTime } from "ulidx";
import { describe, expect, it } from "vitest";
import { decodeUlidTime, ulid } from "./ulid.ts";

// The generator is monotonic per process: these tests only ever move its clock forward.

describe("ulid", () => {
  it("encodes the time so that the reference implementation and ours decode it back", () => {
    for (const ms of [Date.UTC(2200, 0, 1), Date.UTC(2200, 0, 1) + 1, Date.UTC(2201, 5, 7, 3, 4, 5, 678)]) {
      const id = ulid(ms);
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(decodeTime(id)).toBe(ms);
      expect(decodeUlidTime(id)).toBe(ms);
    }
  });

  it("sorts in creation order within one millisecond and when the clock steps back", () => {
    const t = Date.UTC(2300, 0, 1);
    const ids = [ulid(t), ulid(t), ulid(t), ulid(t - 5), ulid(t)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(decodeUlidTime(ids[3] as string)).toBe(t);
  });

  it("is unique over many ids made as fast as possible", () => {
    const ids = Array.from({ length: 50_000 }, () => ulid(Date.UTC(2301, 0, 1)));
    expect(new Set(ids).size).toBe(50_000);
    expect([...ids].sort()).toEqual(ids);
  });

  it("refuses to decode what is not a ULID", () => {
    expect(() => decodeUlidTime("not-a-ulid!")).toThrow(/not a ULID/);
  });
});
