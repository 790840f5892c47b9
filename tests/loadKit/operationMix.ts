import type { Random } from "./random.ts";

/** A JSON object as sent to the API. */
export type JsonObject = { [key: string]: unknown };

/** One generated operation for the account that orders it (its first user account). */
export interface GeneratedOperation {
  /** The request body without `metadata` (the caller adds its sequence number there). */
  request: JsonObject;
  type: "credit" | "debit" | "reserve" | "release" | "transfer";
  /** Ledger entries it writes when applied: one per side of each posting. */
  entries: number;
}

const CURRENCIES = [
  { code: "USD", scale: 2, weight: 0.7 },
  { code: "BTC", scale: 8, weight: 0.3 },
] as const;

/** `minor` units at `scale` as a decimal string ("1234" at scale 2 is "12.34"). */
function decimal(minor: number, scale: number): string {
  const digits = String(minor).padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

/** A strictly positive amount of roughly `units` whole units (randomised), exact at the scale. */
function amount(random: Random, scale: number, maxUnits: number): string {
  const minorPerUnit = 10 ** Math.min(scale, 4);
  const minor = random.int(1, maxUnits * minorPerUnit);
  return decimal(minor, Math.min(scale, 4));
}

/**
 * A random operation ordered by `userId`: deposits (larger, so balances grow), holds, releases,
 * withdrawals and transfers to peers (with a fee posting now and then). Holds, releases and
 * withdrawals beyond the balance are rejected by the ledger, which the mix relies on: rejections are
 * outcomes to verify as much as applications.
 *
 * @example
 * randomOperation(random, "lane1-acct3", ["lane2-acct0"], "fees")
 * // { type: "transfer", entries: 4, request: { type: "transfer", postings: [...] } }
 */
export function randomOperation(
  random: Random,
  userId: string,
  peers: readonly string[],
  feeAccount: string,
): GeneratedOperation {
  const currency = random.chance(CURRENCIES[0].weight) ? CURRENCIES[0] : CURRENCIES[1];
  const account = { userId, currency: currency.code };
  const roll = random.next();
  if (roll < 0.3) {
    return {
      type: "credit",
      entries: 2,
      request: { type: "credit", account, amount: amount(random, currency.scale, 500) },
    };
  }
  if (roll < 0.45) {
    return {
      type: "reserve",
      entries: 2,
      request: { type: "reserve", account, amount: amount(random, currency.scale, 100) },
    };
  }
  if (roll < 0.55) {
    return {
      type: "release",
      entries: 2,
      request: { type: "release", account, amount: amount(random, currency.scale, 100) },
    };
  }
  if (roll < 0.7) {
    const bucket = random.chance(0.7) ? "available" : "reserved";
    return {
      type: "debit",
      entries: 2,
      request: { type: "debit", account, bucket, amount: amount(random, currency.scale, 100) },
    };
  }
  const to = random.pick(peers.filter((peer) => peer !== userId));
  const postings: JsonObject[] = [
    {
      from: { userId, bucket: "available" },
      to: { userId: to, bucket: "available" },
      currency: currency.code,
      amount: amount(random, currency.scale, 100),
    },
  ];
  if (random.chance(0.5)) {
    postings.push({
      from: { userId, bucket: "available" },
      to: { userId: feeAccount, bucket: "available" },
      currency: currency.code,
      amount: amount(random, currency.scale, 1),
    });
  }
  return { type: "transfer", entries: 2 * postings.length, request: { type: "transfer", postings } };
}
