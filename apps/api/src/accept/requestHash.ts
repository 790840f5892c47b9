import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level: equal requests give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
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
 * @example
 * requestHash({ type: "credit", amount: "1", account: { currency: "BTC", userId: "a" } }) // "3f1c..."
 */
export function requestHash(request: unknown): string {
  return createHash("sha256").update(canonicalJson(request)).digest("base64url");
}
