/**
 * Exact money. Amounts travel as decimal strings at the edges and as `bigint` minor units
 * (the amount times 10^scale of its currency) everywhere else. No amount ever becomes a JS `number`.
 */

/** An amount as callers write it: no sign, no exponent, no leading zeros, optional fraction. */
export const AMOUNT_PATTERN = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Signed decimal as PostgreSQL `numeric` prints it (`-12.5`, `0`, `3.00000000`). */
const SIGNED_DECIMAL_PATTERN = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/** The most significant digits an amount may carry (the API contract). */
export const MAX_SIGNIFICANT_DIGITS = 38;

/** The largest currency scale the system supports (ETH uses 18). */
export const MAX_SCALE = 18;

export type AmountProblem = "format" | "not_positive" | "too_many_decimals" | "too_many_digits";

export type ParsedAmount = { ok: true; minor: bigint } | { ok: false; problem: AmountProblem };

export class AmountError extends Error {
  override readonly name = "AmountError";
  constructor(
    readonly problem: AmountProblem,
    readonly input: string,
  ) {
    super(amountProblemMessage(problem, input));
  }
}

/** Human-readable text of a problem, for validation errors. */
export function amountProblemMessage(problem: AmountProblem, input: string, scale?: number): string {
  switch (problem) {
    case "format":
      return `"${input.slice(0, 50)}" is not a decimal string like "12.5" (no sign, exponent or leading zeros)`;
    case "not_positive":
      return "amount must be greater than zero";
    case "too_many_decimals":
      return scale === undefined
        ? "amount has more decimals than its currency allows"
        : `amount has more than ${scale} decimals, the scale of its currency (it is never rounded)`;
    case "too_many_digits":
      return `amount has more than ${MAX_SIGNIFICANT_DIGITS} significant digits`;
  }
}

function assertScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new RangeError(`currency scale must be an integer 0..${MAX_SCALE}, got ${scale}`);
  }
}

/**
 * Parses a caller's amount (strictly positive, at most `scale` decimals) into minor units.
 *
 * @example
 * tryParseAmount("0.5", 8)      // { ok: true, minor: 50000000n }
 * tryParseAmount("0.123", 2)    // { ok: false, problem: "too_many_decimals" }
 */
export function tryParseAmount(input: string, scale: number): ParsedAmount {
  assertScale(scale);
  const match = AMOUNT_PATTERN.exec(input);
  if (!match) return { ok: false, problem: "format" };
  const whole = match[1] ?? "0";
  const fraction = match[2] ? match[2].slice(1) : "";
  const significant = (whole + fraction).replace(/^0+/, "").replace(/0+$/, "");
  if (significant.length > MAX_SIGNIFICANT_DIGITS) return { ok: false, problem: "too_many_digits" };
  // The contract counts decimals as written: "1.500" at scale 2 is refused like "1.505", never rounded.
  if (fraction.length > scale) return { ok: false, problem: "too_many_decimals" };
  const minor = BigInt(whole + fraction.padEnd(scale, "0"));
  if (minor === 0n) return { ok: false, problem: "not_positive" };
  return { ok: true, minor };
}

/** Like {@link tryParseAmount} but throws {@link AmountError}. */
export function parseAmount(input: string, scale: number): bigint {
  const parsed = tryParseAmount(input, scale);
  if (!parsed.ok) throw new AmountError(parsed.problem, input);
  return parsed.minor;
}

/**
 * Parses a signed decimal as stored in PostgreSQL (`numeric` comes back as a string) into minor units.
 * Throws when the value carries more meaningful decimals than the scale: that would be corrupt data.
 *
 * @example
 * parseDecimal("-0.25000000", 8) // -25000000n
 */
export function parseDecimal(input: string, scale: number): bigint {
  assertScale(scale);
  const match = SIGNED_DECIMAL_PATTERN.exec(input);
  if (!match) throw new AmountError("format", input);
  const negative = match[1] === "-";
  const fraction = (match[3] ?? "").replace(/0+$/, "");
  if (fraction.length > scale) throw new AmountError("too_many_decimals", input);
  const magnitude = BigInt((match[2] ?? "0") + fraction.padEnd(scale, "0"));
  return negative ? -magnitude : magnitude;
}

/**
 * Formats minor units as a decimal string with exactly `scale` decimals.
 *
 * @example
 * formatAmount(50000000n, 8) // "0.50000000"
 * formatAmount(-5n, 2)       // "-0.05"
 * formatAmount(7n, 0)        // "7"
 */
export function formatAmount(minor: bigint, scale: number): string {
  assertScale(scale);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const text = scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** Sum of minor-unit amounts. */
export function sumAmounts(amounts: Iterable<bigint>): bigint {
  let total = 0n;
  for (const amount of amounts) total += amount;
  return total;
}
