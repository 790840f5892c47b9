import { listEntries } from "@accounts/db";
import { formatAmount, parseDecimal } from "@accounts/domain";
import { accountScope } from "@accounts/queue";
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { errorAnswers, userIdParam } from "../http/schemas.ts";
import type { ApiServices } from "../services.ts";

const entrySchema = z
  .object({
    operationId: z.string(),
    currency: z.string(),
    bucket: z.enum(["available", "reserved"]),
    amount: z.string().meta({ description: "Signed decimal string", example: "-0.10000000" }),
    balanceAfter: z.string(),
    version: z.number().int(),
    createdAt: z.string(),
  })
  .openapi("Entry");

const route = createRoute({
  method: "get",
  path: "/v1/accounts/{userId}/entries",
  tags: ["Accounts"],
  summary: "A user's ledger entries, newest first",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ userId: userIdParam }),
    query: z.object({
      currency: z
        .string()
        .regex(/^[A-Z0-9]{2,12}$/)
        .optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      cursor: z
        .string()
        .regex(/^[0-9]{1,16}$/, "cursor must be a nextCursor value from an earlier page")
        .optional(),
    }),
  },
  responses: {
    200: {
      description: "One page of entries",
      content: {
        "application/json": {
          schema: z.object({ entries: z.array(entrySchema), nextCursor: z.string().nullable() }),
        },
      },
    },
    ...errorAnswers.resource("A malformed user id"),
    ...errorAnswers.validated,
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

/** `GET /v1/accounts/{userId}/entries` (scope accounts:read), cursor-paginated. */
export function accountEntriesRoute(services: ApiServices) {
  const app = newRouter();
  app.openapi({ ...route, middleware: [services.requireScope("accounts:read")] }, async (c) => {
    const { userId } = c.req.valid("param");
    const { currency, limit, cursor } = c.req.valid("query");
    const scales = await services.currencies.scalesFor(currency ? [currency] : []);
    if (currency !== undefined && !scales.has(currency)) {
      throw new ApiError("invalid_request", "unknown currency", {
        errors: [{ path: "currency", message: `${currency} is not a registered currency` }],
      });
    }
    const rows = await services.reads.read(accountScope(userId), (db) =>
      listEntries(db, {
        userId,
        limit: limit + 1,
        ...(currency !== undefined ? { currency } : {}),
        ...(cursor !== undefined ? { beforeId: Number(cursor) } : {}),
      }),
    );
    const page = rows.slice(0, limit);
    const entries = page.map((row) => {
      const scale = scales.get(row.currency) ?? 0;
      return {
        operationId: row.operationId,
        currency: row.currency,
        bucket: row.bucket,
        amount: formatAmount(parseDecimal(row.amount, scale), scale),
        balanceAfter: formatAmount(parseDecimal(row.balanceAfter, scale), scale),
        version: row.version,
        createdAt: row.createdAt.toISOString(),
      };
    });
    const last = page.at(-1);
    return c.json({ entries, nextCursor: rows.length > limit && last ? String(last.id) : null }, 200);
  });
  return app;
}
