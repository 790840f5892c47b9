import { generateWebhookSecret } from "@accounts/domain";
import { signWebhook } from "@accounts/webhooks";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { WebhookVerificationError } from "./errors.ts";
import { verifyWebhook } from "./webhooks.ts";

const secret = generateWebhookSecret();
// Whole seconds of the real clock: the reference library checks timestamps against it.
const now = Math.floor(Date.now() / 1000) * 1000;
const body = JSON.stringify({
  id: "op_1",
  type: "credit",
  status: "applied",
  acceptedAt: "2026-11-27T05:59:59.000Z",
});
const signed = (overrides: { body?: string; at?: number; secret?: string } = {}) =>
  signWebhook({
    secret: overrides.secret ?? secret,
    id: "evt_1",
    body: overrides.body ?? body,
    timestampSeconds: (overrides.at ?? now) / 1000,
  });

function refusal(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error;
    throw error;
  }
  throw new Error("verified");
}

describe("verifyWebhook", () => {
  it("returns the operation of a delivery signed by the API's signer", () => {
    expect(verifyWebhook(body, signed(), { secret, now })).toEqual(JSON.parse(body));
    expect(verifyWebhook(new TextEncoder().encode(body), new Headers(signed()), { secret, now }).id).toBe(
      "op_1",
    );
  });

  it("agrees with the Standard Webhooks reference library", () => {
    const reference = new Webhook(secret);
    const signature = reference.sign("evt_9", new Date(now), body);
    const headers = {
      "webhook-id": "evt_9",
      "webhook-timestamp": String(now / 1000),
      "webhook-signature": signature,
    };
    expect(verifyWebhook(body, headers, { secret, now }).id).toBe("op_1");
    expect(reference.verify(body, signed())).toEqual(JSON.parse(body));
  });

  it("accepts any valid v1 signature of several (a secret being rotated)", () => {
    const headers = signed();
    const other = signed({ secret: generateWebhookSecret() })["webhook-signature"];
    headers["webhook-signature"] = `v1a,xyz ${other} ${headers["webhook-signature"]}`;
    expect(verifyWebhook(body, headers, { secret, now }).id).toBe("op_1");
  });

  it("refuses a wrong secret, a changed body, an old or future timestamp, missing headers", () => {
    expect(
      refusal(() => verifyWebhook(body, signed({ secret: generateWebhookSecret() }), { secret, now })).code,
    ).toBe("webhook_signature_invalid");
    expect(refusal(() => verifyWebhook(`${body} `, signed(), { secret, now })).code).toBe(
      "webhook_signature_invalid",
    );
    expect(refusal(() => verifyWebhook(body, signed({ at: now - 301_000 }), { secret, now })).code).toBe(
      "webhook_timestamp_invalid",
    );
    expect(refusal(() => verifyWebhook(body, signed({ at: now + 301_000 }), { secret, now })).code).toBe(
      "webhook_timestamp_invalid",
    );
    expect(
      verifyWebhook(body, signed({ at: now - 3_600_000 }), { secret, now, toleranceSeconds: 3600 }).id,
    ).toBe("op_1");
    const { "webhook-signature": _, ...unsigned } = signed();
    expect(refusal(() => verifyWebhook(body, unsigned, { secret, now })).code).toBe(
      "webhook_missing_headers",
    );
  });

  it("refuses a signed body that is not an operation, and a secret that is not whsec_", () => {
    const junk = JSON.stringify({ hello: "world" });
    expect(refusal(() => verifyWebhook(junk, signed({ body: junk }), { secret, now })).code).toBe(
      "webhook_payload_invalid",
    );
    expect(() => verifyWebhook(body, signed(), { secret: "not-a-secret", now })).toThrow(TypeError);
  });
});
