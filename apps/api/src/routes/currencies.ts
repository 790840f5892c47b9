import { insertCurrency, listCurrencies } from "@accounts/db";
import { CURRENCY_PATTERN, MAX_SCALE } from "@accounts/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { errorAnswers } from "../http/schemas.ts";
import type { ApiServices } from "../services.ts";

const currencySchema = z
  .strictObject({
    code: z
      .string()
      .regex(CURRENCY_PATTERN, "code must be 2-12 characters of A-Z 0-9")
      .meta({ example: "SOL" }),
    scale: z.number().int().min(0).max(MAX_SCALE).meta({ example: 9 }),
  })
  .openapi("Currency");

const listRoute = createRoute({
  method: "get",
  path: "/v1/currencies",
  tags: ["Currencies"],
  summary: "Registered currencies (any scope)",
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: "Currencies",
      content: { "application/json": { schema: z.object({ currencies: z.array(currencySchema) }) } },
    },
    ...errorAnswers.authenticated,
  },
});

const createCurrencyRoute = createRoute({
  method: "post",
  path: "/v1/currencies",
  tags: ["Currencies"],
  summary: "Register a currency (admin)",
  description: "201 when new, 200 when the same code and scale exist; a code never changes its scale (400).",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: currencySchema } } } },
  responses: {
    201: { description: "Registered", content: { "application/json": { schema: currencySchema } } },
    200: { description: "Already registered", content: { "application/json": { schema: currencySchema } } },
    ...errorAnswers.body,
    ...errorAnswers.validated,
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

/** `GET /v1/currencies` (any authenticated client) and `POST /v1/currencies` (admin). */
export function currencyRoutes(services: ApiServices) {
  const app = newRouter();
  app.openapi(listRoute, async (c) => c.json({ currencies: await listCurrencies(services.db) }, 200));
  app.openapi({ ...createCurrencyRoute, middleware: [services.requireScope("admin")] }, async (c) => {
    const currency = c.req.valid("json");
    const result = await insertCurrency(services.db, currency);
    if (result.outcome === "conflict") {
      throw new ApiError("invalid_request", `${currency.code} is registered with scale ${result.scale}`, {
        errors: [{ path: "scale", message: `a currency's scale never changes (it is ${result.scale})` }],
      });
    }
    await services.currencies.reload();
    return c.json(currency, result.outcome === "created" ? 201 : 200);
  });
  return app;
}
