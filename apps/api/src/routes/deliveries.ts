import { listDeliveries } from "@accounts/db";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { ApiEnv } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { errorAnswers, operationIdParam } from "../http/schemas.ts";
import { readOperation } from "../read/readOperation.ts";
import type { ApiServices } from "../services.ts";

const deliverySchema = z
  .object({
    attempt: z.number().int().min(1).meta({ example: 1 }),
    at: z
      .string()
      .meta({ description: "When the attempt started (RFC 3339)", example: "2026-11-27T06:00:00.125Z" }),
    statusCode: z
      .number()
      .int()
      .optional()
      .meta({ description: "The receiver's HTTP status; a 2xx is a delivery", example: 204 }),
    error: z.string().optional().meta({
      description: "Why no answer came (timeout, refused connection, refused URL...)",
      example: "no answer within 10000 ms",
    }),
    durationMs: z.number().int().min(0).meta({ example: 37 }),
  })
  .openapi("DeliveryAttempt");

const route = createRoute({
  method: "get",
  path: "/v1/operations/{id}/deliveries",
  tags: ["Operations"],
  summary: "List the webhook delivery attempts of an operation",
  description:
    "Every attempt to POST the operation's final representation to its `callbackUrl`, oldest first: " +
    "`statusCode` when the receiver answered (a 2xx is a delivery), `error` when it did not. Empty while " +
    "the operation is not final or has no callback URL. Another client's operation is a 404.",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ id: operationIdParam }),
  },
  responses: {
    200: {
      description: "The delivery attempts",
      content: { "application/json": { schema: z.object({ deliveries: z.array(deliverySchema) }) } },
    },
    ...errorAnswers.resource("No such operation for this client"),
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

/**
 * `GET /v1/operations/{id}/deliveries` (scope operations:read): the webhook attempts of one of the
 * caller's operations. Unknown, malformed and other clients' ids are all the same 404.
 */
export function deliveriesRoute(
  services: Pick<ApiServices, "db" | "states" | "requireScope">,
): OpenAPIHono<ApiEnv> {
  const app = newRouter();
  app.openapi({ ...route, middleware: [services.requireScope("operations:read")] }, async (c) => {
    const { id } = c.req.valid("param");
    // Ownership first (pending or final): nothing about another client's operation leaks.
    const owned = await readOperation(services, id, c.get("client").id);
    if (!owned) throw new ApiError("not_found", `no operation ${id.slice(0, 64)} for this client`);
    const rows = owned.final ? await listDeliveries(services.db, id) : [];
    const deliveries = rows.map((row) => ({
      attempt: row.attempt,
      at: row.at.toISOString(),
      ...(row.status_code !== null ? { statusCode: row.status_code } : {}),
      ...(row.error !== null ? { error: row.error } : {}),
      durationMs: row.duration_ms,
    }));
    return c.json({ deliveries }, 200);
  });
  return app;
}
