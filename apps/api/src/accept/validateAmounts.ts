import { amountProblemMessage, type OperationRequest, tryParseAmount } from "@accounts/domain";
import type { FieldError } from "../http/errors.ts";

/**
 * The checks that need the currency table: the currency is registered, and the amount has at most
 * its scale in decimals (more is refused, never rounded). `prefix` locates the request in a batch.
 *
 * @example
 * validateAmounts({ type: "credit", account: { userId: "a", currency: "USD" }, amount: "1.005" }, scales)
 * // [{ path: "amount", message: "amount has more than 2 decimals, the scale of its currency (...)" }]
 */
export function validateAmounts(
  request: OperationRequest,
  scales: ReadonlyMap<string, number>,
  prefix = "",
): FieldError[] {
  const errors: FieldError[] = [];
  const check = (currency: string, amount: string, currencyPath: string, amountPath: string) => {
    const scale = scales.get(currency);
    if (scale === undefined) {
      errors.push({ path: prefix + currencyPath, message: `${currency} is not a registered currency` });
      return;
    }
    const parsed = tryParseAmount(amount, scale);
    if (!parsed.ok)
      errors.push({
        path: prefix + amountPath,
        message: amountProblemMessage(parsed.problem, amount, scale),
      });
  };
  if (request.type === "transfer") {
    request.postings.forEach((posting, i) => {
      check(posting.currency, posting.amount, `postings.${i}.currency`, `postings.${i}.amount`);
    });
  } else {
    check(request.account.currency, request.amount, "account.currency", "amount");
  }
  return errors;
}
