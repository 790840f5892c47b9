import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAmount, parseAmount, parseDecimal, sumAmounts, tryParseAmount } from "./money.ts";

describe("tryParseAmount", () => {
  it("parses decimal strings into minor units at the currency's scale", () => {
    expect(tryParseAmount("0.5", 8)).toEqual({ ok: true, minor: 50_000_000n });
    expect(tryParseAmount("6500", 6)).toEqual({ ok: true, minor: 6_500_000_000n });
    expect(tryParseAmount("1.23", 2)).toEqual({ ok: true, minor: 123n });
    expect(tryParseAmount("7", 0)).toEqual({ ok: true, minor: 7n });
    expect(tryParseAmount("0.000000000000000001", 18)).toEqual({ ok: true, minor: 1n });
  });

  it("refuses more decimals than the scale instead of rounding", () => {
    expect(tryParseAmount("0.123", 2)).toEqual({ ok: false, problem: "too_many_decimals" });
    expect(tryParseAmount("1.500", 2)).toEqual({ ok: false, problem: "too_many_decimals" });
    expect(tryParseAmount("1.5", 0)).toEqual({ ok: false, problem: "too_many_decimals" });
  });

  it.each([
    "",
    "-1",
    "+1",
    "1e5",
    "1E-2",
    "01",
    "1.",
    ".5",
    " 1",
    "1 ",
    "0x10",
    "NaN",
    "Infinity",
    "1,5",
    "١",
  ])("refuses %j as malformed", (input) => {
    expect(tryParseAmount(input, 8)).toEqual({ ok: false, problem: "format" });
  });

  it("refuses zero", () => {
    expect(tryParseAmount("0", 8)).toEqual({ ok: false, problem: "not_positive" });
    expect(tryParseAmount("0.00", 8)).toEqual({ ok: false, problem: "not_positive" });
  });

  it("refuses more than 38 significant digits", () => {
    expect(tryParseAmount("1".repeat(38), 0).ok).toBe(true);
    expect(tryParseAmount("1".repeat(39), 0)).toEqual({ ok: false, problem: "too_many_digits" });
    expect(tryParseAmount(`0.${"1".repeat(18)}`, 18).ok).toBe(true);
  });

  it("rejects an impossible scale", () => {
    expect(() => tryParseAmount("1", 19)).toThrow(RangeError);
    expect(() => tryParseAmount("1", -1)).toThrow(RangeError);
  });
});

describe("formatAmount", () => {
  it("prints exactly scale decimals, with a sign when negative", () => {
    expect(formatAmount(50_000_000n, 8)).toBe("0.50000000");
    expect(formatAmount(-5n, 2)).toBe("-0.05");
    expect(formatAmount(0n, 2)).toBe("0.00");
    expect(formatAmount(7n, 0)).toBe("7");
    expect(formatAmount(123_456_789_012_345_678_901_234_567_890n, 18)).toBe(
      "123456789012.345678901234567890",
    );
  });
});

describe("parseDecimal", () => {
  it("reads PostgreSQL numeric text, signed, with fewer or padded decimals", () => {
    expect(parseDecimal("-0.25000000", 8)).toBe(-25_000_000n);
    expect(parseDecimal("12", 2)).toBe(1200n);
    expect(parseDecimal("0", 18)).toBe(0n);
    expect(parseDecimal("1.10000", 2)).toBe(110n);
  });

  it("throws on values the scale cannot hold (corrupt data)", () => {
    expect(() => parseDecimal("0.001", 2)).toThrow(/decimals/);
    expect(() => parseDecimal("1e3", 2)).toThrow();
  });
});

const scaleArb = fc.integer({ min: 0, max: 18 });
const minorArb = fc.bigInt({ min: 1n, max: 10n ** 38n - 1n });

describe("properties", () => {
  it("format then parse is the identity on positive amounts", () => {
    fc.assert(
      fc.property(minorArb, scaleArb, (minor, scale) => {
        expect(parseAmount(formatAmount(minor, scale), scale)).toBe(minor);
      }),
    );
  });

  it("parseDecimal inverts formatAmount for any sign", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), scaleArb, (minor, scale) => {
        expect(parseDecimal(formatAmount(minor, scale), scale)).toBe(minor);
      }),
    );
  });

  it("parse then format keeps the value of any valid decimal string", () => {
    const decimalArb = fc
      .tuple(fc.stringMatching(/^(0|[1-9][0-9]{0,15})$/), fc.stringMatching(/^[0-9]{0,8}$/), scaleArb)
      .filter(([whole, fraction, scale]) => fraction.length <= scale && /[1-9]/.test(whole + fraction));
    fc.assert(
      fc.property(decimalArb, ([whole, fraction, scale]) => {
        const text = fraction ? `${whole}.${fraction}` : whole;
        const formatted = formatAmount(parseAmount(text, scale), scale);
        // The same number, padded with zeros to the scale.
        expect(formatted).toBe(scale === 0 ? whole : `${whole}.${fraction.padEnd(scale, "0")}`);
      }),
    );
  });

  it("addition commutes with formatting: the sum of the parsed strings is the parsed sum", () => {
    fc.assert(
      fc.property(fc.array(minorArb, { minLength: 1, maxLength: 30 }), scaleArb, (minors, scale) => {
        const parsedSum = sumAmounts(minors.map((m) => parseAmount(formatAmount(m, scale), scale)));
        const expected = minors.reduce((a, b) => a + b, 0n);
        expect(formatAmount(parsedSum, scale)).toBe(formatAmount(expected, scale));
        // Moving part of an amount elsewhere and back is exact: no rounding anywhere.
        const first = minors[0] as bigint;
        const part = first / 3n;
        expect(parseDecimal(formatAmount(first - part, scale), scale) + part).toBe(first);
      }),
    );
  });
});
