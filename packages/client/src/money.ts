import { formatAmount, parseDecimal } from "@accounts/domain";

/*
 * Amounts travel as decimal strings and stay strings in this client: a JS number cannot hold
 * 0.1 BTC or 18-decimal ETH exactly. For arithmetic, convert to bigint minor units (the amount
 * times 10^scale of its currency, from `currencies()`) and back. The conversions are the API's own
 * (`@accounts/domain`), bundled into this package.
 */

/**
 * Minor units of a decimal string at a currency's scale. Accepts what the API answers (balances,
 * signed entry amounts: `"-0.10000000"`) and what callers send. Throws a RangeError when the
 * value is not a decimal string or has more non-zero decimals than the scale (never rounds).
 *
 * @example
 * toMinorUnits("0.5", 8)          // 50000000n
 * toMinorUnits("-0.10000000", 8)  // -10000000n
 * toMinorUnits("1.005", 2)        // throws RangeError
 */
export function toMinorUnits(amount: string, scale: number): bigint {
  try {
    return parseDecimal(amount, scale);
  } catch (error) {
    throw new RangeError(
      `${JSON.stringify(amount.slice(0, 60))} is not a decimal amount with at most ${scale} decimals`,
      { cause: error },
    );
  }
}

/**
 * The decimal string of minor units, with exactly `scale` decimals (as the API writes balances).
 * Positive results are valid `amount`s for operations.
 *
 * @example
 * fromMinorUnits(50000000n, 8) // "0.50000000"
 * fromMinorUnits(-5n, 2)       // "-0.05"
 */
export function fromMinorUnits(minor: bigint, scale: number): string {
  if (typeof minor !== "bigint") throw new TypeError("minor units must be a bigint (never a number)");
  return formatAmount(minor, scale);
}
