import { currenciesOf, type OperationRequest } from "@accounts/domain";
import { ApiError, type FieldError } from "../http/errors.ts";
import type { ApiServices } from "../services.ts";
import { validateAmounts } from "./validateAmounts.ts";

/**
 * What is checked after the schema and before anything is stored: Redis has room, every currency
 * is registered and every amount fits its scale, every callback URL may be called. Throws a 400
 * listing all problems (with each item's `path` prefix in a batch), or a 503.
 */
export async function checkSubmission(
  services: Pick<ApiServices, "currencies" | "checkCallbackUrl" | "redisFull">,
  items: readonly { request: OperationRequest; path: string }[],
): Promise<void> {
  if (services.redisFull()) {
    throw new ApiError("unavailable", "the queue is nearly full; nothing was accepted, retry later", {
      retryAfterSeconds: 5,
    });
  }
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
  if (errors.length > 0) {
    throw new ApiError("invalid_request", "the request body is invalid", { errors: errors.slice(0, 100) });
  }
}
