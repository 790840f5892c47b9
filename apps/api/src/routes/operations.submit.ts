import { idempotencyKeySchema, type OperationView, operationRequestSchema } from "@accounts/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { acceptOperations, type SubmitResult } from "../accept/acceptOperations.ts";
import { checkSubmission } from "../accept/checkSubmission.ts";
import { ApiError } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { acceptedSchema, commonErrors, operationViewSchema, problemResponse } from "../http/schemas.ts";
import type { ApiServices } from "../services.ts";

const idempotencyKeyHeader = idempotencyKeySchema
  .optional()
  .openapi({ param: { name: "idempotency-key", in: "header" }, example: "settle-8812-1" });

const route = createRoute({
  method: "post",
  path: "/v1/operations",
  tags: ["Operations"],
  summary: "Submit an operation",
  description:
    "Accepted durably (202) or not at all (503). Replays of an Idempotency-Key answer the operation's " +
    "current representation with `Idempotent-Replayed: true`; the same key with another body is a 409.",
  security: [{ bearer: [] }],
  request: {
    headers: z.object({ "idempotency-key": idempotencyKeyHeader }),
    body: { required: true, content: { "application/json": { schema: operationRequestSchema } } },
  },
  responses: {
    202: {
      description: "Accepted",
      content: { "application/json": { schema: acceptedSchema.or(operationViewSchema) } },
    },
    200: {
      description: "Replay of a final operation",
      content: { "application/json": { schema: operationViewSchema } },
    },
    409: problemResponse("The Idempotency-Key was used with another body (code idempotency_key_reused)"),
    413: problemResponse("Body over 64 KiB (code payload_too_large)"),
    415: problemResponse("Body is not application/json (code unsupported_media_type)"),
    ...commonErrors,
  },
});

/** `POST /v1/operations` (scope operations:write). */
export function submitOperationRoute(services: ApiServices) {
  const app = newRouter();
  app.post(route.path, services.requireScope("operations:write"));
  app.openapi(route, async (c) => {
    const request = c.req.valid("json");
    const idempotencyKey = c.req.valid("header")["idempotency-key"] ?? null;
    await checkSubmission(services, [{ request, path: "" }]);
    const [result] = await acceptOperations(services.accept, c.get("client").id, [
      { request, idempotencyKey },
    ]);
    const outcome = answerOf(result as SubmitResult);
    c.header("Location", `/v1/operations/${outcome.body.id}`);
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    if (outcome.status === 200 && "type" in outcome.body) return c.json(outcome.body, 200);
    return c.json(outcome.body, 202);
  });
  return app;
}

/** The answer to one submission: 202 (accepted, or a replay not final yet), 200 (a final replay). */
export function answerOf(result: SubmitResult): {
  status: 200 | 202;
  body: OperationView | { id: string; status: "accepted"; acceptedAt: string };
  replayed: boolean;
} {
  switch (result.kind) {
    case "accepted": {
      const body = {
        id: result.id,
        status: "accepted" as const,
        acceptedAt: new Date(result.acceptedAt).toISOString(),
      };
      return { status: 202, body, replayed: result.replayed };
    }
    case "replay":
      return { status: result.final ? 200 : 202, body: result.view, replayed: true };
    case "conflict":
      throw new ApiError(
        "idempotency_key_reused",
        `this Idempotency-Key was used for operation ${result.id} with a different body`,
      );
    case "unavailable":
      throw new ApiError(
        "unavailable",
        "the operation could not be stored durably; nothing was accepted, retry later",
        {
          retryAfterSeconds: 1,
        },
      );
  }
}
