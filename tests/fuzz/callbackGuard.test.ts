import { generateWebhookSecret } from "@accounts/domain";
import { type AppStack, startAppStack } from "@accounts/tests/harness";
import { webhookSignature } from "@accounts/webhooks";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, HttpApi } from "../e2e/support/httpApi.ts";
import { type PrivateNames, privateNames } from "./privateNames.ts";

// The SSRF guard at submit, attacked: callback URLs aimed at loopback, private, link-local and
// metadata addresses in every textual form, and DNS names that resolve to them, are a 400 on
// `callbackUrl`; public addresses pass. And a webhook signature cannot be forged or replayed late.

let stack: AppStack;
let api: HttpApi;
let names: PrivateNames;

beforeAll(async () => {
  names = await privateNames();
  stack = await startAppStack({ workers: 1 });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
});
afterAll(async () => {
  names?.cleanup();
  await stack?.stop();
});

const withCallback = (callbackUrl: string) => ({
  type: "credit",
  account: { userId: "fz-cb", currency: "USD" },
  amount: "1",
  callbackUrl,
});

async function expectRefused(url: string): Promise<void> {
  const reply = await api.submit(withCallback(url));
  expect(reply.status, `${url}: ${JSON.stringify(reply.body)}`).toBe(400);
  expectProblem(reply, 400, "invalid_request", ["callbackUrl"]);
}

describe("callback URLs", () => {
  it("refuses loopback, private, link-local and metadata targets in any spelling", async () => {
    for (const url of [
      ...[
        "https://127.0.0.1/",
        "https://127.1/",
        "https://2130706433/",
        "https://0x7f000001/",
        "https://0177.0.0.1/",
      ],
      ...[
        "https://%31%32%37.0.0.1/",
        "https://[::1]/",
        "https://[0:0:0:0:0:0:0:1]/",
        "https://[::ffff:127.0.0.1]/",
      ],
      ...[
        "https://[::ffff:7f00:1]/",
        "https://10.0.0.1/",
        "https://172.16.5.4/",
        "https://192.168.1.1:8443/x",
      ],
      ...["https://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/", "https://100.64.0.1/"],
      ...[
        "https://0.0.0.0/",
        "https://0/",
        "https://[::]/",
        "https://[64:ff9b::a00:1]/",
        "https://[2002:a00:1::]/",
      ],
      ...[
        "https://localhost/",
        "https://LOCALHOST./",
        "https://api.localhost/",
        "https://localhost.localdomain/",
      ],
      ...[
        "https://user:pass@example.com/",
        "http://example.com/",
        "ftp://example.com/",
        "file:///etc/passwd",
      ],
      ...["gopher://127.0.0.1:6379/_INFO", "javascript:alert(1)", "https://example.com:0/"],
    ]) {
      await expectRefused(url);
    }
  });

  it("refuses DNS names that resolve to private addresses", async () => {
    // Without one (no /etc/hosts name and no right to add one) this test would prove nothing.
    expect(names.names.length, "a name resolving to a private address").toBeGreaterThan(0);
    for (const name of names.names) {
      const reply = await api.submit(withCallback(`https://${name}/hook`));
      expectProblem(reply, 400, "invalid_request", ["callbackUrl"]);
      expect(JSON.stringify(reply.body)).toContain("resolves to");
    }
  });

  it("refuses every generated private IPv4 address in its IPv4, mapped, NAT64 and 6to4 forms", async () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const privateIpv4 = fc.oneof(
      fc.tuple(fc.constant(10), octet, octet, octet),
      fc.tuple(fc.constant(127), octet, octet, octet),
      fc.tuple(fc.constant(169), fc.constant(254), octet, octet),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), octet, octet),
      fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
      fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), octet, octet),
    );
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    const spelled = fc.tuple(privateIpv4, fc.integer({ min: 0, max: 5 })).map(([[a, b, c, d], form]) => {
      const asInt = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
      return [
        `${a}.${b}.${c}.${d}`,
        String(asInt),
        `0x${asInt.toString(16)}`,
        `[::ffff:${a}.${b}.${c}.${d}]`,
        `[64:ff9b::${hex(a, b)}:${hex(c, d)}]`,
        `[2002:${hex(a, b)}:${hex(c, d)}::1]`,
      ][form] as string;
    });
    const details = await fc.check(
      fc.asyncProperty(
        spelled,
        async (host) => (await api.submit(withCallback(`https://${host}/h`))).status === 400,
      ),
      { numRuns: 150 },
    );
    expect(details.failed ? `refused nothing for ${JSON.stringify(details.counterexample)}` : "ok").toBe(
      "ok",
    );
  });

  it("accepts a public address (the guard is not a blanket refusal)", async () => {
    expect((await api.submit(withCallback("https://93.184.215.14/hook"))).status).toBe(202);
    expect((await api.submit(withCallback("https://[2606:4700::1111]/hook"))).status).toBe(202);
  });
});

describe("webhook signatures", () => {
  it("verify with the reference implementation, and never when forged, altered or expired", () => {
    const now = () => Math.floor(Date.now() / 1000);
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 3 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (value, suffix) => {
          // The reference verifier parses the payload: bodies are JSON, as ours always are.
          const body = JSON.stringify(value);
          const secret = generateWebhookSecret();
          const id = `evt_${suffix}`;
          const timestamp = now();
          const headers = (ts: number, signature = webhookSignature(secret, id, ts, body)) => ({
            "webhook-id": id,
            "webhook-timestamp": String(ts),
            "webhook-signature": signature,
          });
          const verifier = new Webhook(secret);
          expect(() => verifier.verify(body, headers(timestamp))).not.toThrow();
          expect(() => verifier.verify(`${body} `, headers(timestamp))).toThrow();
          expect(() => new Webhook(generateWebhookSecret()).verify(body, headers(timestamp))).toThrow();
          expect(() => verifier.verify(body, { ...headers(timestamp), "webhook-id": `${id}x` })).toThrow();
          expect(() => verifier.verify(body, headers(timestamp, "v1,Zm9yZ2VkIHNpZ25hdHVyZQ=="))).toThrow();
          // Replayed 10 minutes late (or sent from the future): outside the 5-minute tolerance.
          expect(() => verifier.verify(body, headers(timestamp - 600))).toThrow();
          expect(() => verifier.verify(body, headers(timestamp + 600))).toThrow();
        },
      ),
      { numRuns: 200 },
    );
  });
});
