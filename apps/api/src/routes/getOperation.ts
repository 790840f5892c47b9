import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { errorAnswers, operationIdParam, operationViewSchema } from "../http/schemas.ts";
import { readOperation } from "../read/readOperation.ts";
import type { ApiServices } from "../services.ts";

const MAX_WAIT_SECONDS = 30;
/** Re-check interval of a long poll, in case a notification was missed. */
const RECHECK_MS = 1000;

const route = createRoute({
  method: "get",
  path: "/v1/operations/{id}",
  tags: ["Operations"],
  summary: "Read an operation's result",
  description:
    "`?wait=N` (0-30 s) holds the request until the operation is final or N seconds pass (long poll). " +
    "Another client's operation is a 404.",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ id: operationIdParam }),
    query: z.object({
      wait: z.coerce.number().min(0).max(MAX_WAIT_SECONDS).optional().openapi({ example: 5 }),
    }),
  },
  responses: {
    200: { description: "The operation", content: { "application/json": { schema: operationViewSchema } } },
    ...errorAnswers.resource("No such operation for this client"),
    ...errorAnswers.validated,
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

/** `GET /v1/operations/{id}` (scope operations:read), with long poll. */
export function getOperationRoute(services: ApiServices) {
  const app = newRouter();
  app.openapi({ ...route, middleware: [services.requireScope("operations:read")] }, async (c) => {
    const { id } = c.req.valid("param");
    const clientId = c.get("client").id;
    const deadline = Date.now() + (c.req.valid("query").wait ?? 0) * 1000;
    let found = await readOperation(services, id, clientId);
    while (found && !found.final && Date.now() < deadline) {
      await services.notifier.next(id, Math.min(RECHECK_MS, deadline - Date.now()));
      found = await readOperation(services, id, clientId);
    }
    if (!found) throw new ApiError("not_found", `no operation ${id.slice(0, 64)} for this client`);
    return c.json(found.view, 200);
  });
  return app;
}
