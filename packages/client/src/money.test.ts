import { describe, expect, it } from "vitest";
import { fromMinorUnits, toMinorUnits } from "./money.ts";

describe("amounts", () => {
  it("convert decimal strings to bigint minor units and back, exactly", () => {
    expect(toMinorUnits("0.5", 8)).toBe(50_000_000n);
    expect(toMinorUnits("-0.10000000", 8)).toBe(-10_000_000n);
    expect(toMinorUnits("123456789012345678.123456789012345678", 18)).toBe(
      123456789012345678123456789012345678n,
    );
    expect(fromMinorUnits(50_000_000n, 8)).toBe("0.50000000");
    expect(fromMinorUnits(-5n, 2)).toBe("-0.05");
    expect(fromMinorUnits(toMinorUnits("0.1", 18) * 3n, 18)).toBe("0.300000000000000000");
  });

  it("refuse what they cannot represent instead of rounding", () => {
    expect(() => toMinorUnits("1.005", 2)).toThrow(RangeError);
    expect(() => toMinorUnits("1e5", 2)).toThrow(RangeError);
    expect(() => fromMinorUnits(5 as unknown as bigint, 2)).toThrow(TypeError);
  });
});
