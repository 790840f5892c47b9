import { externalAccountId } from "./accounts.ts";
import { amountProblemMessage, tryParseAmount } from "./money.ts";
import type { Bucket, OperationRequest, Rejection } from "./schemas.ts";

/** One side of a posting: a bucket of an account. */
export interface Leg {
  userId: string;
  currency: string;
  bucket: Bucket;
}

/** Money moving from one bucket to another, in minor units of `currency`. */
export interface Posting {
  from: Leg;
  to: Leg;
  currency: string;
  amount: bigint;
}

export type Plan = { ok: true; postings: Posting[] } | { ok: false; rejection: Rejection };

/**
 * Turns an operation into its postings (double entry: every posting moves one amount from one bucket
 * to another, so every operation sums to zero per currency). Deposits and withdrawals post against the
 * `@external` account of the partition that applies them.
 *
 * @example
 * planOperation({ type: "reserve", account: { userId: "alice", currency: "BTC" }, amount: "0.1" }, 3, scales)
 * // { ok: true, postings: [{ from: alice/BTC/available, to: alice/BTC/reserved, amount: 10000000n }] }
 */
export function planOperation(
  request: OperationRequest,
  partition: number,
  scales: ReadonlyMap<string, number>,
): Plan {
  if (request.type === "transfer") {
    const postings: Posting[] = [];
    for (const [index, posting] of request.postings.entries()) {
      const amount = minorAmount(posting.amount, posting.currency, scales, `postings[${index}]`);
      if (!amount.ok) return amount;
      if (posting.from.userId === posting.to.userId && posting.from.bucket === posting.to.bucket) {
        return reject(
          "invalid_posting",
          `postings[${index}] moves money from ${posting.from.userId}'s ${posting.from.bucket} bucket to itself`,
        );
      }
      postings.push({
        from: { userId: posting.from.userId, currency: posting.currency, bucket: posting.from.bucket },
        to: { userId: posting.to.userId, currency: posting.currency, bucket: posting.to.bucket },
        currency: posting.currency,
        amount: amount.minor,
      });
    }
    return { ok: true, postings };
  }

  const { userId, currency } = request.account;
  const amount = minorAmount(request.amount, currency, scales, "amount");
  if (!amount.ok) return amount;
  const user = (bucket: Bucket): Leg => ({ userId, currency, bucket });
  const external: Leg = { userId: externalAccountId(partition), currency, bucket: "available" };
  const single = (from: Leg, to: Leg): Plan => ({
    ok: true,
    postings: [{ from, to, currency, amount: amount.minor }],
  });
  switch (request.type) {
    case "credit":
      return single(external, user("available"));
    case "debit":
      return single(user(request.bucket), external);
    case "reserve":
      return single(user("available"), user("reserved"));
    case "release":
      return single(user("reserved"), user("available"));
  }
}

function minorAmount(
  amount: string,
  currency: string,
  scales: ReadonlyMap<string, number>,
  path: string,
): { ok: true; minor: bigint } | { ok: false; rejection: Rejection } {
  const scale = scales.get(currency);
  if (scale === undefined) return reject("unknown_currency", `${currency} is not a registered currency`);
  const parsed = tryParseAmount(amount, scale);
  if (!parsed.ok)
    return reject("invalid_amount", `${path}: ${amountProblemMessage(parsed.problem, amount, scale)}`);
  return parsed;
}

function reject(code: Rejection["code"], message: string): { ok: false; rejection: Rejection } {
  return { ok: false, rejection: { code, message } };
}
