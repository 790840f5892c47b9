import { getBalanceAt, getBalances } from "@accounts/db";
import { formatAmount, parseDecimal } from "@accounts/domain";
import { accountScope } from "@accounts/queue";
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { currencyParam, errorAnswers, problemResponse, userIdParam } from "../http/schemas.ts";
import type { ApiServices } from "../services.ts";

const accountBalanceSchema = z
  .object({
    currency: z.string(),
    available: z.string(),
    reserved: z.string(),
    total: z.string(),
    version: z.number().int(),
    updatedAt: z.string().nullable(),
  })
  .openapi("AccountBalance");

const listRoute = createRoute({
  method: "get",
  path: "/v1/accounts/{userId}/balances",
  tags: ["Accounts"],
  summary: "A user's balances, one per currency held",
  security: [{ bearer: [] }],
  request: { params: z.object({ userId: userIdParam }) },
  responses: {
    200: {
      description: "Balances",
      content: {
        "application/json": {
          schema: z.object({ userId: z.string(), balances: z.array(accountBalanceSchema) }),
        },
      },
    },
    ...errorAnswers.resource("A malformed user id"),
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

const oneRoute = createRoute({
  method: "get",
  path: "/v1/accounts/{userId}/balances/{currency}",
  tags: ["Accounts"],
  summary: "One balance, now or as it was at a time",
  description:
    "Zeros with version 0 for a registered currency the user never held. `?at=` (RFC 3339) answers the " +
    "balance as it was then, from the ledger entries.",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ userId: userIdParam, currency: currencyParam }),
    query: z.object({
      at: z.iso.datetime({ offset: true }).optional().openapi({ example: "2026-11-27T06:00:00.000Z" }),
    }),
  },
  responses: {
    200: {
      description: "The balance",
      content: { "application/json": { schema: accountBalanceSchema.extend({ userId: z.string() }) } },
    },
    404: problemResponse(
      "A currency that is not registered (code unknown_currency), or a malformed user id or currency (code not_found)",
    ),
    ...errorAnswers.validated,
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

/** `GET /v1/accounts/{userId}/balances[/{currency}]` (scope accounts:read). */
export function accountBalanceRoutes(services: ApiServices) {
  const app = newRouter();
  const scope = services.requireScope("accounts:read");
  app.openapi({ ...listRoute, middleware: [scope] }, async (c) => {
    const { userId } = c.req.valid("param");
    const scales = await services.currencies.all();
    const rows = await services.reads.read(accountScope(userId), (db) => getBalances(db, userId));
    const balances = rows.map((row) => {
      const scale = scales.get(row.currency) ?? 0;
      return {
        currency: row.currency,
        ...formatted(row.available, row.reserved, scale),
        version: row.version,
        updatedAt: row.updatedAt.toISOString(),
      };
    });
    return c.json({ userId, balances }, 200);
  });

  app.openapi({ ...oneRoute, middleware: [scope] }, async (c) => {
    const { userId, currency } = c.req.valid("param");
    const { at } = c.req.valid("query");
    const scale = (await services.currencies.scalesFor([currency])).get(currency);
    if (scale === undefined)
      throw new ApiError("unknown_currency", `${currency} is not a registered currency`);
    if (at !== undefined) {
      const past = await services.reads.read(accountScope(userId), (db) =>
        getBalanceAt(db, userId, currency, new Date(at)),
      );
      return c.json(
        {
          userId,
          currency,
          ...formatted(past.available, past.reserved, scale),
          version: past.version,
          updatedAt: past.changedAt?.toISOString() ?? null,
        },
        200,
      );
    }
    const [row] = await services.reads.read(accountScope(userId), (db) => getBalances(db, userId, currency));
    return c.json(
      {
        userId,
        currency,
        ...formatted(row?.available ?? "0", row?.reserved ?? "0", scale),
        version: row?.version ?? 0,
        updatedAt: row?.updatedAt.toISOString() ?? null,
      },
      200,
    );
  });
  return app;
}

/** Buckets as decimal strings at the currency's scale, with their total (exact, bigint). */
export function formatted(available: string, reserved: string, scale: number) {
  const a = parseDecimal(available, scale);
  const r = parseDecimal(reserved, scale);
  return {
    available: formatAmount(a, scale),
    reserved: formatAmount(r, scale),
    total: formatAmount(a + r, scale),
  };
}
