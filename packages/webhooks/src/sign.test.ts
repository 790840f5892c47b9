import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signWebhook, WebhookSecretError, webhookIdOf, webhookKey, webhookSignature } from "./sign.ts";

// The test vector of the Standard Webhooks reference libraries.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

describe("signing", () => {
  it("matches the Standard Webhooks test vector", () => {
    expect(webhookSignature(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("is what the standardwebhooks package verifies (and it refuses a changed body)", () => {
    const secret = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
    const body = JSON.stringify({
      id: "op_01KB2Z8J6Y8W6N0T4V3XQH9E5R",
      status: "applied",
      note: "ünïcødé ✓",
    });
    const headers = signWebhook({
      secret,
      id: webhookIdOf("op_01KB2Z8J6Y8W6N0T4V3XQH9E5R"),
      body,
      timestampSeconds: Date.now() / 1000,
    });
    expect(headers["webhook-id"]).toBe("evt_01KB2Z8J6Y8W6N0T4V3XQH9E5R");
    expect(headers["webhook-timestamp"]).toMatch(/^\d+$/);
    const receiver = new Webhook(secret);
    expect(receiver.verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => receiver.verify(body.replace("applied", "rejected"), { ...headers })).toThrow();
    // Another client's secret does not verify it.
    expect(() => new Webhook(VECTOR.secret).verify(body, { ...headers })).toThrow();
  });

  it("refuses secrets that are not whsec_<base64> without quoting them", () => {
    for (const bad of [
      "",
      "whsec_",
      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "whsec_not base64!!",
      "whsec_c2hvcnQ=",
    ]) {
      let caught: unknown;
      try {
        webhookKey(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WebhookSecretError);
      if (bad.length > 6) expect((caught as Error).message).not.toContain(bad.slice(6));
    }
  });
});
