import { generateApiKey, newOperationId, SCOPES, type Scope } from "@accounts/domain";
import { type AppStack, startAppStack, waitFor } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClients, type TestClient } from "./support/apiClients.ts";
import { expectProblem, HttpApi, type JsonObject, type Reply } from "./support/httpApi.ts";

// Authentication and scopes on every route of docs/api.md: no key, unknown key, key without the scope,
// key with (only) the scope.

let stack: AppStack;
let api: HttpApi;
/** A client holding exactly one scope, and one holding every scope but it. */
const only = new Map<Scope, TestClient>();
const allBut = new Map<Scope, TestClient>();

beforeAll(async () => {
  // Every failed authentication counts against the address; this file makes dozens on purpose.
  stack = await startAppStack({ workers: 2, env: { AUTH_FAILURES_PER_MINUTE: "100000" } });
  api = new HttpApi(stack.apiUrl, stack.apiKey);
  const specs = SCOPES.flatMap((scope) => [
    { name: `only-${scope}`, scopes: [scope] },
    { name: `all-but-${scope}`, scopes: SCOPES.filter((s) => s !== scope) },
  ]);
  const clients = await createApiClients(stack, specs);
  for (const c of clients) {
    const scope = c.name.replace(/^(only|all-but)-/, "") as Scope;
    (c.name.startsWith("only-") ? only : allBut).set(scope, c);
  }
});
afterAll(async () => {
  await stack?.stop();
});

interface RouteCase {
  route: string;
  method: "GET" | "POST";
  path: string;
  /** The scope the route demands; "any" for routes every authenticated client may call. */
  scope: Scope | "any";
  json?: JsonObject;
  /** The answer to a key holding only the scope: the request got past authorization. */
  allowed: number;
  /** Checks after the allowed call that nothing of the refused calls took effect. */
  after?: (allowed: Reply<JsonObject>) => Promise<void>;
}

const credit = (userId: string) => ({ type: "credit", account: { userId, currency: "USD" }, amount: "1" });

/**
 * The refused calls came first, so any of them accepted would have been applied before the allowed
 * one: once the allowed credit shows in the entries, the account must hold exactly it.
 */
const creditedOnce = (userId: string) => async (reply: Reply<JsonObject>) => {
  const id = (reply.body.id ?? (reply.body.results as JsonObject[] | undefined)?.[0]?.id) as string;
  const entries = await waitFor(
    async () => {
      const all = (await api.entryPages(userId)).flat();
      return all.some((e) => e.operationId === id) ? all : undefined;
    },
    { message: `the allowed credit ${id} applied` },
  );
  expect(entries.map((e) => e.operationId)).toEqual([id]);
  expect(await api.balance(userId, "USD")).toMatchObject({ total: "1.00", version: 1 });
};

const unknownId = newOperationId();
const routes: RouteCase[] = [
  {
    route: "POST /v1/operations",
    method: "POST",
    path: "/v1/operations",
    scope: "operations:write",
    json: credit("scope-single"),
    allowed: 202,
    after: creditedOnce("scope-single"),
  },
  {
    route: "POST /v1/operations/batch",
    method: "POST",
    path: "/v1/operations/batch",
    scope: "operations:write",
    json: { operations: [credit("scope-batch")] },
    allowed: 202,
    after: creditedOnce("scope-batch"),
  },
  // A key with only operations:read owns no operation: past the scope check, the id is a 404.
  {
    route: "GET /v1/operations/{id}",
    method: "GET",
    path: `/v1/operations/${unknownId}`,
    scope: "operations:read",
    allowed: 404,
  },
  {
    route: "GET /v1/operations/{id}/deliveries",
    method: "GET",
    path: `/v1/operations/${unknownId}/deliveries`,
    scope: "operations:read",
    allowed: 404,
  },
  {
    route: "GET /v1/accounts/{userId}/balances",
    method: "GET",
    path: "/v1/accounts/alice/balances",
    scope: "accounts:read",
    allowed: 200,
  },
  {
    route: "GET /v1/accounts/{userId}/balances/{currency}",
    method: "GET",
    path: "/v1/accounts/alice/balances/USD",
    scope: "accounts:read",
    allowed: 200,
  },
  {
    route: "GET /v1/accounts/{userId}/entries",
    method: "GET",
    path: "/v1/accounts/alice/entries",
    scope: "accounts:read",
    allowed: 200,
  },
  { route: "GET /v1/currencies", method: "GET", path: "/v1/currencies", scope: "any", allowed: 200 },
  {
    route: "POST /v1/currencies",
    method: "POST",
    path: "/v1/currencies",
    scope: "admin",
    json: { code: "SCOPED", scale: 4 },
    // 201, not 200: the refused calls before it did not register the currency.
    allowed: 201,
  },
];

describe.each(routes)("$route", (route) => {
  const call = (headers: Record<string, string> | undefined, key = stack.apiKey) =>
    api.as(key).call<JsonObject>(route.method, route.path, {
      ...(route.json ? { json: route.json } : {}),
      ...(headers ? { headers, anonymous: !("authorization" in headers) } : {}),
    });

  it("refuses a missing, malformed or unknown key (401) and a key without the scope (403)", async () => {
    const missing = await call({});
    expectProblem(missing, 401, "unauthorized");
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expectProblem(await call({ authorization: "Bearer not-a-key" }), 401, "unauthorized");
    expectProblem(await call({ authorization: `Bearer ${generateApiKey().key}` }), 401, "unauthorized");
    expectProblem(
      await call({ authorization: `Basic ${btoa(`x:${generateApiKey().key}`)}` }),
      401,
      "unauthorized",
    );
    if (route.scope !== "any") {
      const without = allBut.get(route.scope) as TestClient;
      expectProblem(await call(undefined, without.key), 403, "forbidden");
    }
  });

  it("lets a key holding only that scope through", async () => {
    const scopes = route.scope === "any" ? SCOPES : [route.scope];
    let last: Reply<JsonObject> | undefined;
    for (const scope of scopes) {
      last = await call(undefined, (only.get(scope) as TestClient).key);
      expect(last.status, `${scope}: ${JSON.stringify(last.body)}`).toBe(route.allowed);
    }
    if (route.after && last) await route.after(last);
  });
});

describe("ownership", () => {
  it("answers 404 for another client's operation, exactly as for an unknown one", async () => {
    const id = await api.accept(credit("scope-owner"));
    const owner = await api.final(id);
    expect(owner.status).toBe("applied");
    const stranger = api.as((allBut.get("admin") as TestClient).key);
    for (const path of [
      `/v1/operations/${id}`,
      `/v1/operations/${id}?wait=1`,
      `/v1/operations/${id}/deliveries`,
    ]) {
      const theirs = expectProblem(await stranger.call("GET", path), 404, "not_found");
      const unknown = expectProblem(
        await stranger.call("GET", path.replace(id, unknownId)),
        404,
        "not_found",
      );
      expect({ ...theirs, detail: "", requestId: "" }).toEqual({ ...unknown, detail: "", requestId: "" });
      expect(theirs.detail.replace(id, unknownId)).toBe(unknown.detail);
    }
    expect((await api.call("GET", `/v1/operations/${id}/deliveries`)).status).toBe(200);
  });
});
