import { describe, expect, it } from "vitest";
import { parseRecoveryTarget, RecoveryTargetError } from "./recoveryTarget.ts";

describe("parseRecoveryTarget", () => {
  it("reads latest, in any case", () => {
    expect(parseRecoveryTarget("latest")).toEqual({ kind: "latest" });
    expect(parseRecoveryTarget(" LATEST ")).toEqual({ kind: "latest" });
  });

  it("keeps a UTC time to the microsecond for PostgreSQL", () => {
    expect(parseRecoveryTarget("2026-12-02T10:14:59.123456Z")).toEqual({
      kind: "time",
      at: new Date("2026-12-02T10:14:59.123Z"),
      utc: "2026-12-02T10:14:59.123456Z",
      postgres: "2026-12-02 10:14:59.123456+00",
    });
    expect(parseRecoveryTarget("2026-12-02T10:14:59Z")).toMatchObject({
      utc: "2026-12-02T10:14:59Z",
      postgres: "2026-12-02 10:14:59+00",
    });
  });

  it("turns an offset into UTC, across midnight", () => {
    expect(parseRecoveryTarget("2026-12-02T00:30:00.5+01:00")).toMatchObject({
      at: new Date("2026-12-01T23:30:00.500Z"),
      utc: "2026-12-01T23:30:00.5Z",
      postgres: "2026-12-01 23:30:00.5+00",
    });
    expect(parseRecoveryTarget("2026-12-01t20:00:00-05:30")).toMatchObject({ utc: "2026-12-02T01:30:00Z" });
  });

  it.each([
    ["2026-12-02T10:14:59", /no time zone: give the time with its offset, e\.g\. 2026-12-02T10:14:59Z/],
    ["yesterday", /not a time: give an RFC 3339 time/],
    ["2026-02-30T10:00:00Z", /not a valid date and time/],
    ["2026-12-02T24:00:00Z", /not a valid date and time/],
    ["2026-12-02T10:14:59.1234567Z", /at most 6 decimals/],
  ])("refuses %s saying what to give", (input, message) => {
    expect(() => parseRecoveryTarget(input)).toThrow(RecoveryTargetError);
    expect(() => parseRecoveryTarget(input)).toThrow(message);
  });
});
