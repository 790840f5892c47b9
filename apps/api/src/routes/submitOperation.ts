import { idempotencyKeySchema, operationRequestSchema } from "@accounts/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { acceptOperations, type SubmitResult } from "../accept/acceptOperations.ts";
import { checkSubmission } from "../accept/checkSubmission.ts";
import { newRouter } from "../http/router.ts";
import { acceptedSchema, errorAnswers, operationViewSchema, problemResponse } from "../http/schemas.ts";
import { refusalError, submissionAnswer } from "../http/submissionAnswers.ts";
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
    ...errorAnswers.body,
    ...errorAnswers.validated,
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

/** `POST /v1/operations` (scope operations:write). */
export function submitOperationRoute(services: ApiServices) {
  const app = newRouter();
  app.openapi({ ...route, middleware: [services.requireScope("operations:write")] }, async (c) => {
    const request = c.req.valid("json");
    const idempotencyKey = c.req.valid("header")["idempotency-key"] ?? null;
    const refusal = await checkSubmission(services, [{ request, path: "" }]);
    if (refusal) throw refusalError(refusal);
    const [result] = await acceptOperations(services.accept, c.get("client").id, [
      { request, idempotencyKey },
    ]);
    const answer = submissionAnswer(result as SubmitResult);
    if (!answer.ok) throw answer.error;
    c.header("Location", `/v1/operations/${answer.body.id}`);
    if (answer.replayed) c.header("Idempotent-Replayed", "true");
    if (answer.status === 200 && "type" in answer.body) return c.json(answer.body, 200);
    return c.json(answer.body, 202);
  });
  return app;
}
