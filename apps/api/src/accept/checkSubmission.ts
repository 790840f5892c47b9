import { currenciesOf, type OperationRequest } from "@accounts/domain";
import type { FieldError } from "../http/errors.ts";
import type { ApiServices } from "../services.ts";
import { validateAmounts } from "./validateAmounts.ts";

/** Why a submission is refused before anything is stored. */
export type SubmissionRefusal =
  /** Redis is too full to take more jobs safely: 503, retry later. */
  | { kind: "full" }
  /** An amount, currency or callback URL is not acceptable: 400 listing every problem. */
  | { kind: "invalid"; errors: FieldError[] };

/** Field errors listed in one answer, at most. */
const MAX_FIELD_ERRORS = 100;

/**
 * What is checked after the schema and before anything is stored: Redis has room, every currency
 * is registered and every amount fits its scale, every callback URL may be called. Returns null when
 * the submission may be accepted, else the refusal (every problem, with each item's `path` prefix
 * in a batch).
 */
export async function checkSubmission(
  services: Pick<ApiServices, "currencies" | "checkCallbackUrl" | "redisFull">,
  items: readonly { request: OperationRequest; path: string }[],
): Promise<SubmissionRefusal | null> {
  if (services.redisFull()) return { kind: "full" };
  const scales = await services.currencies.scalesFor(items.flatMap((item) => currenciesOf(item.request)));
  const errors: FieldError[] = [];
  const urls = new Map<string, string | null>();
  for (const item of items) {
    errors.push(...validateAmounts(item.request, scales, item.path));
    const url = item.request.callbackUrl;
    if (url !== undefined) {
      if (!urls.has(url)) urls.set(url, await services.checkCallbackUrl(url));
      const refusal = urls.get(url);
      if (refusal) errors.push({ path: `${item.path}callbackUrl`, message: refusal });
    }
  }
  return errors.length > 0 ? { kind: "invalid", errors: errors.slice(0, MAX_FIELD_ERRORS) } : null;
}
