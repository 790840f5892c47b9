import { type AppStack, startAppStack } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem, HttpApi, type JsonObject, type RawBody } from "./support/httpApi.ts";

// Hostile and sloppy input: body limits, amounts, media types, field rules, and the problem format
// and request id that every answer carries (HttpApi checks those on every call of the suite).

let stack: AppStack;
let api: HttpApi;

beforeAll(async () => {
  stack = await startAppStack({ workers: 1 });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
});
afterAll(async () => {
  await stack?.stop();
});

const KiB = 1024;
const credit = (amount: unknown, currency = "BTC"): JsonObject => ({
  type: "credit",
  account: { userId: "val-1", currency },
  amount,
});

/** `value` as JSON padded with spaces (still valid JSON) to exactly `bytes` bytes. */
function padded(value: unknown, bytes: number): string {
  const json = JSON.stringify(value);
  if (json.length > bytes) throw new Error("value too large to pad");
  return `${json.slice(0, -1)}${" ".repeat(bytes - json.length)}}`;
}

const post = (path: string, raw: RawBody, contentType = "application/json") =>
  api.call("POST", path, { raw, headers: { "content-type": contentType } });

describe("body limits", () => {
  it("takes a single operation of exactly 64 KiB and refuses 64 KiB + 1 (413)", async () => {
    expect((await post("/v1/operations", padded(credit("1"), 64 * KiB))).status).toBe(202);
    expectProblem(await post("/v1/operations", padded(credit("1"), 64 * KiB + 1)), 413, "payload_too_large");
  });

  it("counts a body sent without Content-Length (chunked): 64 KiB taken, 64 KiB + 1 refused", async () => {
    const chunked = (text: string) => {
      const bytes = new TextEncoder().encode(text);
      return new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 8 * KiB) controller.enqueue(bytes.subarray(i, i + 8 * KiB));
          controller.close();
        },
      });
    };
    const taken = await post("/v1/operations", chunked(padded(credit("0.5"), 64 * KiB)));
    expect(taken.status, JSON.stringify(taken.body)).toBe(202);
    expect(await api.final(taken.body.id as string)).toMatchObject({
      status: "applied",
      request: credit("0.5"),
    });
    expectProblem(
      await post("/v1/operations", chunked(padded(credit("1"), 64 * KiB + 1))),
      413,
      "payload_too_large",
    );
  });

  it("takes a batch of exactly 1 MiB and refuses 1 MiB + 1 (413)", async () => {
    const batch = { operations: [credit("1")] };
    expect((await post("/v1/operations/batch", padded(batch, 1024 * KiB))).status).toBe(202);
    expectProblem(
      await post("/v1/operations/batch", padded(batch, 1024 * KiB + 1)),
      413,
      "payload_too_large",
    );
  });

  it("answers every oversized body, and the kept-alive connection serves the next request", async () => {
    // A server that stops reading an oversized body must still finish that request cleanly: a
    // dropped connection fails the 413 itself or the caller's next request on the same socket.
    for (let round = 0; round < 10; round++) {
      const path = round % 2 === 0 ? "/v1/operations/batch" : "/v1/operations";
      const size = round % 2 === 0 ? 1024 * KiB + 1 : 200 * KiB;
      expectProblem(await post(path, padded(credit("1"), size)), 413, "payload_too_large");
      expect((await api.call("GET", "/v1/currencies")).status).toBe(200);
    }
  });

  it("holds other routes to the single-operation limit", async () => {
    expectProblem(
      await post("/v1/currencies", padded({ code: "BIG", scale: 2 }, 64 * KiB + 1)),
      413,
      "payload_too_large",
    );
  });
});

describe("amounts", () => {
  const refused: [string, unknown, string?][] = [
    ["more decimals than the currency's scale (BTC: 8)", "1.123456789"],
    ["more decimals than the currency's scale (USD: 2)", "0.001", "USD"],
    ["trailing zeros beyond the scale", "1.000000000"],
    ["negative", "-1"],
    ["zero", "0"],
    ["zero with decimals", "0.00"],
    ["an exponent", "1e5"],
    ["an upper-case exponent", "1E5"],
    ["a JSON number", 100000],
    ["a fractional JSON number", 0.5],
    ["a leading plus", "+1"],
    ["leading zeros", "01"],
    ["whitespace", " 1"],
    ["empty", ""],
    ["a trailing point", "1."],
    ["a leading point", ".5"],
    ["a comma", "1,5"],
    ["hexadecimal", "0x10"],
    ["NaN", "NaN"],
    ["Infinity", "Infinity"],
    ["39 significant digits", "1".repeat(39)],
    ["null", null],
  ];

  it.each(refused)("refuses %s with 400 at path amount", async (_, amount, currency) => {
    const reply = await api.submit(credit(amount, currency));
    expectProblem(reply, 400, "invalid_request", ["amount"]);
  });

  it("names the posting and the batch item", async () => {
    const transfer = {
      type: "transfer",
      postings: [
        {
          from: { userId: "a", bucket: "available" },
          to: { userId: "b", bucket: "available" },
          currency: "USD",
          amount: "1",
        },
        {
          from: { userId: "a", bucket: "available" },
          to: { userId: "b", bucket: "available" },
          currency: "USD",
          amount: "1e2",
        },
      ],
    };
    expectProblem(await api.submit(transfer), 400, "invalid_request", ["postings.1.amount"]);
    const batch = await api.call("POST", "/v1/operations/batch", {
      json: { operations: [credit("1"), credit(5), credit("-0.1")] },
    });
    expectProblem(batch, 400, "invalid_request", ["operations.1.amount", "operations.2.amount"]);
  });

  it("takes the largest and the smallest amounts the scale allows", async () => {
    expect((await api.submit(credit("0.00000001"))).status).toBe(202);
    expect((await api.submit(credit("12345678901234.5", "USD"))).status).toBe(202);
  });
});

describe("fields", () => {
  it.each([
    [
      "a system account (@...)",
      { ...credit("1"), account: { userId: "@external", currency: "BTC" } },
      "account.userId",
    ],
    [
      "a userId over 64 characters",
      { ...credit("1"), account: { userId: "u".repeat(65), currency: "BTC" } },
      "account.userId",
    ],
    [
      "a lower-case currency",
      { ...credit("1"), account: { userId: "val-1", currency: "btc" } },
      "account.currency",
    ],
    ["an unknown field", { ...credit("1"), memo: "x" }, "(root)"],
    ["metadata over 2 KiB", { ...credit("1"), metadata: { note: "x".repeat(2 * KiB) } }, "metadata"],
    ["metadata that is not an object", { ...credit("1"), metadata: [1, 2] }, "metadata"],
    ["an unknown bucket", { ...credit("1"), type: "debit", bucket: "frozen" }, "bucket"],
    ["a transfer without postings", { type: "transfer", postings: [] }, "postings"],
  ])("refuses %s (400 at %s)", async (_, body, path) => {
    expectProblem(await api.submit(body as JsonObject), 400, "invalid_request", [path]);
  });

  it("refuses an unknown operation type and malformed JSON", async () => {
    expectProblem(await api.submit({ ...credit("1"), type: "mint" }), 400, "invalid_request");
    expectProblem(await post("/v1/operations", '{"type": "credit",'), 400, "invalid_request");
  });
});

describe("media types", () => {
  it.each(["/v1/operations", "/v1/operations/batch", "/v1/currencies"])(
    "refuses non-JSON on %s (415)",
    async (path) => {
      const body = JSON.stringify(path === "/v1/currencies" ? { code: "MT", scale: 2 } : credit("1"));
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
        expectProblem(await post(path, body, type), 415, "unsupported_media_type");
      }
      const untyped = await api.call("POST", path, { raw: new Blob([body]) });
      expectProblem(untyped, 415, "unsupported_media_type");
    },
  );

  it("takes application/json with a charset", async () => {
    const reply = await post(
      "/v1/operations",
      JSON.stringify(credit("1")),
      "application/json; charset=utf-8",
    );
    expect(reply.status).toBe(202);
  });
});

describe("conventions", () => {
  it("echoes a valid X-Request-Id, in the header and the problem, and replaces an invalid one", async () => {
    const ok = await api.call("GET", "/v1/currencies", { headers: { "x-request-id": "trace-42.a:b_c" } });
    expect(ok.headers.get("x-request-id")).toBe("trace-42.a:b_c");
    const failed = await api.call("GET", "/v1/accounts/val-1/balances/NOPE", {
      headers: { "x-request-id": "trace-43" },
    });
    expect(failed.headers.get("x-request-id")).toBe("trace-43");
    expect(failed.body.requestId).toBe("trace-43");
    for (const bad of ["has space", "x".repeat(129), "semi;colon"]) {
      const reply = await api.call("GET", "/v1/currencies", { headers: { "x-request-id": bad } });
      expect(reply.headers.get("x-request-id")).not.toBe(bad);
    }
  });

  it("answers unknown routes and unauthenticated probes with a request id too", async () => {
    expectProblem(await api.call("GET", "/v1/nothing-here"), 404, "not_found");
    expectProblem(await api.call("GET", "/nowhere", { anonymous: true }), 404, "not_found");
    for (const path of ["/health", "/ready", "/openapi.json"]) {
      const reply = await fetch(`${stack.apiUrl}${path}`);
      expect(reply.headers.get("x-request-id"), path).toBeTruthy();
    }
  });
});
