import { createHmac } from "node:crypto";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the receiver recomputes
 * `base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))` with the client's secret and compares.
 */

const WEBHOOK_SECRET_PREFIX = "whsec_";

/** The three headers a signed webhook carries (a type alias, so it fits a plain header record). */
export type WebhookSignatureHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

export class WebhookSecretError extends Error {
  override readonly name = "WebhookSecretError";
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The HMAC key of a `whsec_<base64>` secret. Throws {@link WebhookSecretError} for anything else,
 * without quoting the secret (it must never reach a log).
 *
 * @example
 * webhookKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").length // 24
 */
export function webhookKey(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : "";
  // Buffer.from(..., "base64") silently skips junk, so the alphabet is checked first.
  if (encoded.length === 0 || encoded.length % 4 === 1 || !BASE64.test(encoded)) {
    throw new WebhookSecretError("webhook secret is not of the form whsec_<base64>");
  }
  const key = Buffer.from(encoded, "base64");
  if (key.length < 16) throw new WebhookSecretError("webhook secret is shorter than 16 bytes");
  return key;
}

/**
 * The event id of an operation's notification: the same on every retry, so receivers can drop
 * duplicates (deliveries are at-least-once).
 *
 * @example
 * webhookIdOf("op_01KB2Z8J6Y8W6N0T4V3XQH9E5R") // "evt_01KB2Z8J6Y8W6N0T4V3XQH9E5R"
 */
export function webhookIdOf(operationId: string): string {
  return `evt_${operationId.startsWith("op_") ? operationId.slice(3) : operationId}`;
}

/**
 * The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
 *
 * @example
 * webhookSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
 * // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
 */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", webhookKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`, "utf8")
    .digest("base64");
  return `v1,${mac}`;
}

/**
 * The signature headers of one delivery attempt. The timestamp is the attempt's (receivers refuse
 * old ones), the id is the event's (stable across retries).
 *
 * @example
 * signWebhook({ secret, id: webhookIdOf(op.id), body, timestampSeconds: Math.floor(Date.now() / 1000) })
 * // { "webhook-id": "evt_01KB...", "webhook-timestamp": "1795932000", "webhook-signature": "v1,..." }
 */
export function signWebhook(message: {
  secret: string;
  id: string;
  body: string;
  timestampSeconds: number;
}): WebhookSignatureHeaders {
  const timestamp = Math.floor(message.timestampSeconds);
  return {
    "webhook-id": message.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": webhookSignature(message.secret, message.id, timestamp, message.body),
  };
}
