import { checkLedgerInvariants, createDb, createPool } from "@accounts/db";
import { type AppStack, scaledTimeout, startAppStack, waitFor } from "@accounts/tests/harness";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient } from "../e2e/support/apiClients.ts";
import { HttpApi } from "../e2e/support/httpApi.ts";
import { FuzzClient } from "./fuzzClient.ts";
import { hostileBatchBody, hostileOperationBody, VICTIMS } from "./hostileBodies.ts";
import { sendRaw } from "./rawHttp.ts";

// Thousands of generated hostile requests against the real API: only documented 4xx answers (or a
// 2xx for what happens to be valid), never a 5xx; nothing a refused request carried reaches the
// ledger; the service is healthy afterwards. FUZZ_RUNS scales the generated part (default 2500).

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_500);
let stack: AppStack;
let fuzz: FuzzClient;
let api: HttpApi;
const setupIds = new Set<string>();

beforeAll(async () => {
  // Requests without a valid key count against the address's failed authentications: lift that here.
  stack = await startAppStack({
    workers: 1,
    env: { AUTH_FAILURES_PER_MINUTE: "100000", LOG_REQUESTS: "false" },
  });
  const client = await createApiClient(stack, {
    name: "fuzzer",
    scopes: ["operations:write", "operations:read", "accounts:read"],
  });
  fuzz = new FuzzClient(stack.apiUrl, client.key);
  api = new HttpApi(stack.apiUrl, client.key);
  // Funds, so that a hostile debit or transfer that slipped through would show as a change.
  for (const userId of VICTIMS) {
    for (const currency of ["BTC", "USD", "ETH"]) {
      const op = await api.run({ type: "credit", account: { userId, currency }, amount: "100" });
      setupIds.add(op.id);
    }
  }
}, scaledTimeout(60_000));
afterAll(async () => {
  await stack?.stop();
});

const idempotencyKey = fc.option(
  fc.oneof(
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 300 }),
    fc.constantFrom("k", "x".repeat(255), "x".repeat(256), "key with space", "k\u00ff", "\t"),
  ),
);
/** Header values fetch can carry (no NUL, CR or LF; one byte per character). */
const headerValue = fc.string({ unit: "binary", maxLength: 300 }).map((s) =>
  [...s]
    .map((ch) => {
      const code = ch.codePointAt(0) ?? 0;
      return code === 0 || code === 10 || code === 13 || code > 255 ? "?" : ch;
    })
    .join(""),
);

/**
 * Runs `send` on `runs` generated values; on the first breach of the contract fails with the breach
 * and the seed to replay it (the value itself can be megabytes of nesting: it is not printed).
 */
async function property<T>(
  arbitrary: fc.Arbitrary<T>,
  runs: number,
  send: (value: T) => Promise<string | undefined>,
) {
  let breach: string | undefined;
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      breach = await send(value);
      return breach === undefined;
    }),
    { numRuns: runs, endOnFailure: true },
  );
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : "";
  expect(details.failed ? `seed ${details.seed}: ${breach ?? error}` : "ok").toBe("ok");
}

describe("hostile bodies", () => {
  it("answers generated operation bodies with documented answers only", {
    timeout: scaledTimeout(120_000),
  }, async () => {
    await property(fc.tuple(hostileOperationBody, idempotencyKey), RUNS, ([body, key]) =>
      fuzz.send({
        method: "POST",
        path: "/v1/operations",
        body,
        ...(key !== null ? { headers: { "idempotency-key": key } } : {}),
      }),
    );
  });

  it("answers generated batch bodies with documented answers only", {
    timeout: scaledTimeout(60_000),
  }, async () => {
    await property(hostileBatchBody, Math.ceil(RUNS / 5), (body) =>
      fuzz.send({ method: "POST", path: "/v1/operations/batch", body }),
    );
  });
});

describe("hostile headers", () => {
  const body = JSON.stringify({
    type: "credit",
    account: { userId: VICTIMS[0], currency: "USD" },
    amount: "1",
  });
  it("answers odd content types, credentials, request ids and webhook-style headers as documented", {
    timeout: scaledTimeout(60_000),
  }, async () => {
    const headers = fc.record(
      {
        "content-type": fc.oneof(
          headerValue,
          fc.constantFrom(
            ...[
              "text/plain",
              "application/json; charset=utf-16",
              "APPLICATION/JSON",
              "application/json-patch+json",
            ],
            ...[
              "application/x-www-form-urlencoded",
              "multipart/form-data; boundary=x",
              "application/json, text/plain",
            ],
          ),
        ),
        authorization: fc.oneof(
          headerValue,
          fc.constantFrom(
            `Bearer ${fuzz.key} x`,
            `bearer ${fuzz.key}`,
            `Bearer  ${fuzz.key}`,
            "Bearer",
            `Basic ${fuzz.key}`,
          ),
          fc.constantFrom(
            `Bearer ${fuzz.key.slice(0, -1)}`,
            `Bearer ${fuzz.key}${"A".repeat(8_000)}`,
            `Bearer ${stack.apiKey}\t`,
          ),
        ),
        "x-request-id": headerValue,
        // Standard Webhooks headers sent TO the API, forged or expired: they authenticate nothing.
        "webhook-id": fc.constantFrom("evt_forged", "msg_1"),
        "webhook-timestamp": fc.constantFrom(
          "0",
          "1",
          "99999999999",
          String(Math.floor(Date.now() / 1000) - 3_600),
        ),
        "webhook-signature": fc.constantFrom("v1,AAAA", "v1,Zm9yZ2Vk", "v1a,xyz"),
      },
      { requiredKeys: [] },
    );
    await property(headers, Math.ceil(RUNS / 3), async (h) => {
      const breach = await fuzz.send({ method: "POST", path: "/v1/operations", body, headers: h });
      return breach;
    });
  });
});

describe("hostile paths and queries", () => {
  const fixed = [
    "/v1/operations/..%2F..%2Fv1%2Fcurrencies",
    "/v1/operations/%2e%2e/%2e%2e/admin",
    "/v1/operations/op_%00",
    `/v1/operations/op_${"0".repeat(5_000)}`,
    "/v1/operations/op_01m8e0zezbyzvvmezhjtayc7cn",
    "/v1/operations/op_01J%27%3B%20DROP%20TABLE%20operations%3B--",
    "/v1/operations/%F0%9F%A6%84",
    "/v1/operations/op_01M8E0ZEZBYZVVMEZHJTAYC7CN?wait=1e10",
    "/v1/operations/op_01M8E0ZEZBYZVVMEZHJTAYC7CN?wait=-1&wait=2",
    "/v1/operations/op_01M8E0ZEZBYZVVMEZHJTAYC7CN/deliveries/../../",
    "/v1/accounts/%40external-0/balances",
    "/v1/accounts/..%2F..%2Fetc/balances",
    "/v1/accounts/alice%00/balances/USD",
    "/v1/accounts/alice/balances/usd",
    `/v1/accounts/alice/balances/USD?at=${"9".repeat(40)}`,
    "/v1/accounts/alice/balances/USD?at=2026-13-45T99:99:99Z",
    "/v1/accounts/alice/balances/USD?at=0000-01-01T00:00:00.000Z",
    "/v1/accounts/alice/entries?limit=-1",
    "/v1/accounts/alice/entries?limit=1e3",
    "/v1/accounts/alice/entries?limit=99999999999999999999",
    "/v1/accounts/alice/entries?cursor=%00%00",
    `/v1/accounts/alice/entries?cursor=${"A".repeat(4_000)}`,
    "/v1/accounts/alice/entries?currency[]=USD",
    "//v1//accounts//alice//balances",
    "/v1/currencies/../currencies",
    `/v1/${"a/".repeat(2_000)}`,
  ];
  it("answers path tricks in ids and garbage queries with 4xx", async () => {
    const breaches: string[] = [];
    for (const path of fixed) {
      const breach = await fuzz.send({ method: "GET", path });
      if (breach) breaches.push(breach);
    }
    expect(breaches).toEqual([]);
  });

  it("answers generated ids, user ids, currencies and query values with 4xx", {
    timeout: scaledTimeout(60_000),
  }, async () => {
    const segment = fc.oneof(
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.constantFrom("..", ".", "%2F", "@external"),
    );
    const request = fc.oneof(
      fc
        .tuple(segment, headerValue)
        .map(([id, q]) => `/v1/operations/${encodeURIComponent(id)}?wait=${encodeURIComponent(q)}`),
      fc
        .tuple(segment, segment)
        .map(([u, c]) => `/v1/accounts/${encodeURIComponent(u)}/balances/${encodeURIComponent(c)}`),
      fc
        .tuple(segment, headerValue, headerValue)
        .map(
          ([u, limit, cursor]) =>
            `/v1/accounts/${encodeURIComponent(u)}/entries?limit=${encodeURIComponent(limit)}&cursor=${encodeURIComponent(cursor)}`,
        ),
    );
    await property(request, Math.ceil(RUNS / 3), (path) => fuzz.send({ method: "GET", path }));
  });

  it("never answers malformed HTTP with a 5xx (Node's parser refuses it before the app)", async () => {
    const port = Number(new URL(stack.apiUrl).port);
    const auth = `Authorization: Bearer ${fuzz.key}\r\n`;
    const raw = [
      `POST /v1/operations HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 500\r\n\r\n{}`,
      `POST /v1/operations HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n`,
      `POST /v1/operations HTTP/1.1\r\nHost: x\r\n${auth}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n`,
      `GET /v1/currencies HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n`,
      `GET /v1/currencies HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      `GET http://169.254.169.254/latest HTTP/1.1\r\nHost: 169.254.169.254\r\n${auth}\r\n`,
      `GET /v1/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n${auth}\r\n`,
      `GET /v1/currencies HTTP/1.0\r\n\r\n`,
      `BREW /v1/currencies HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /v1/currencies\u0000 HTTP/1.1\r\nHost: x\r\n\r\n`,
      "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003",
    ];
    for (const request of raw) {
      const answer = await sendRaw(port, request);
      expect(
        answer.status ?? 0,
        `${JSON.stringify(request.slice(0, 80))}: ${answer.text.slice(0, 200)}`,
      ).toBeLessThan(500);
    }
  });
});

describe("afterwards", () => {
  it("kept every refused request out of the ledger", async () => {
    expect(fuzz.breaches).toEqual([]);
    const pool = createPool(stack.databaseUrl, { max: 1 });
    const db = createDb(pool);
    try {
      const known = new Set([...setupIds, ...fuzz.accepted]);
      // Accepted operations are applied or rejected by now or soon: wait for every one of them.
      const ids = await waitFor(
        async () => {
          const { rows } = await pool.query<{ id: string }>("SELECT id FROM operations");
          return rows.length >= known.size ? rows.map((r) => r.id) : undefined;
        },
        { timeoutMs: scaledTimeout(30_000), message: `${known.size} accepted operations stored` },
      );
      expect(ids.filter((id) => !known.has(id))).toEqual([]);
      const { rows: strangers } = await pool.query<{ operation_id: string }>(
        "SELECT DISTINCT operation_id FROM ledger_entries WHERE operation_id <> ALL($1::text[])",
        [[...known]],
      );
      expect(strangers).toEqual([]);
      const report = await checkLedgerInvariants(db);
      expect(report.violations).toEqual([]);
      const statuses = [...fuzz.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`);
      console.log(
        `fuzz: ${fuzz.sent} hostile requests (${statuses.join(", ")}), ${fuzz.accepted.size} operations ` +
          `accepted as valid, ${fuzz.unsendable} not sendable by the client`,
      );
    } finally {
      await db.destroy();
    }
  });

  it("is healthy and applies a plain operation", async () => {
    const health = await fetch(`${stack.apiUrl}/health`);
    expect(health.status).toBe(200);
    const op = await api.run({
      type: "credit",
      account: { userId: "fz-after", currency: "USD" },
      amount: "1",
    });
    expect(op.status).toBe("applied");
  });
});
