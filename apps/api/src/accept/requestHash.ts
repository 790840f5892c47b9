import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level: equal requests give equal text whatever the key order. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * The fingerprint of a validated request, compared when an Idempotency-Key comes back: the same key
 * with the same body (in any key order, defaults applied) is a replay; with another body, a 409.
 *
 * The request is the zod parse result, whose objects have their schema's key order whatever the
 * caller sent, so plain JSON is canonical already; only `metadata` (free-form) is sorted. Sorting the
 * whole request measured at a quarter of the API's CPU per submission.
 *
 * @example
 * requestHash({ type: "credit", amount: "1", account: { currency: "BTC", userId: "a" } }) // "3f1c..."
 */
export function requestHash(request: { metadata?: unknown }): string {
  const text =
    request.metadata === undefined
      ? JSON.stringify(request)
      : `${JSON.stringify({ ...request, metadata: undefined })}${canonicalJson(request.metadata)}`;
  return createHash("sha256").update(text).digest("base64url");
}
