import { timingSafeEqual } from "node:crypto";
import { webhookSignature } from "@accounts/webhooks";
import { WebhookVerificationError } from "./errors.ts";
import type { Operation } from "./types.ts";

/** Request headers as Node's `req.headers` (a record) or a Fetch `Headers` object gives them. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** The client's `whsec_...` secret, printed once by `clients create`. */
  secret: string;
  /** How far `webhook-timestamp` may be from now, either way (default 300 s, as Standard Webhooks advises). */
  toleranceSeconds?: number;
  /** The current time in ms (tests). */
  now?: number;
}

const STATUSES = new Set(["accepted", "applied", "rejected", "failed"]);

/**
 * Verifies one webhook delivery per Standard Webhooks (the signature over `{id}.{timestamp}.{body}`
 * with the client's secret, in constant time; the timestamp within the tolerance) and returns the
 * operation it carries. Throws {@link WebhookVerificationError} for a delivery that must not be
 * trusted (answer it 400 or 401), and TypeError for a secret that is not `whsec_<base64>`.
 *
 * Pass the body exactly as received (the raw bytes or their text): parsed and re-serialised JSON
 * does not verify. Deliveries are at least once: the same `webhook-id` can come again.
 *
 * @example
 * const operation = verifyWebhook(rawBody, req.headers, { secret: process.env.ACCOUNTS_WEBHOOK_SECRET });
 * if (operation.status === "applied") ...
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  options: VerifyWebhookOptions,
): Operation {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      "webhook_missing_headers",
      "the delivery lacks a webhook-id, webhook-timestamp or webhook-signature header",
    );
  }
  if (!/^[1-9][0-9]{0,14}$/.test(timestamp)) {
    throw new WebhookVerificationError("webhook_timestamp_invalid", "webhook-timestamp is not unix seconds");
  }
  const seconds = Number(timestamp);
  const tolerance = options.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - seconds) > tolerance) {
    throw new WebhookVerificationError(
      "webhook_timestamp_invalid",
      `webhook-timestamp is ${nowSeconds - seconds} s away from now (tolerance ${tolerance} s): a replay or a wrong clock`,
    );
  }
  const body = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  let expected: Buffer;
  try {
    expected = Buffer.from(webhookSignature(options.secret, id, seconds, body).slice("v1,".length), "base64");
  } catch {
    throw new TypeError("the webhook secret is not of the form whsec_<base64> (at least 16 bytes)");
  }
  // The header may carry several signatures (a secret being rotated): any valid v1 one verifies.
  const verified = signatures.split(" ").some((candidate) => {
    if (!candidate.startsWith("v1,")) return false;
    const given = Buffer.from(candidate.slice(3), "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!verified) {
    throw new WebhookVerificationError(
      "webhook_signature_invalid",
      "no webhook-signature matches the secret",
    );
  }
  let operation: unknown;
  try {
    operation = JSON.parse(body);
  } catch {
    throw new WebhookVerificationError("webhook_payload_invalid", "the signed body is not JSON");
  }
  if (!isOperation(operation)) {
    throw new WebhookVerificationError("webhook_payload_invalid", "the signed body is not an operation");
  }
  return operation;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(" ") : (value as string | undefined);
}

function isOperation(value: unknown): value is Operation {
  if (value === null || typeof value !== "object") return false;
  const op = value as Record<string, unknown>;
  return (
    typeof op.id === "string" &&
    typeof op.type === "string" &&
    typeof op.status === "string" &&
    STATUSES.has(op.status) &&
    typeof op.acceptedAt === "string"
  );
}
