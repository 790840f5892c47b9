import {
  creditSchema,
  debitSchema,
  idempotencyKeySchema,
  releaseSchema,
  reserveSchema,
  transferSchema,
} from "@accounts/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { acceptOperations, type SubmitItem } from "../accept/acceptOperations.ts";
import { checkSubmission } from "../accept/checkSubmission.ts";
import { ApiError, problemOf } from "../http/errors.ts";
import { newRouter } from "../http/router.ts";
import { errorAnswers, operationViewSchema, problemSchema } from "../http/schemas.ts";
import { refusalError, submissionAnswer } from "../http/submissionAnswers.ts";
import type { ApiServices } from "../services.ts";

const MAX_BATCH = 1000;

const idempotencyKey = idempotencyKeySchema.optional();

/** A batch item: any operation, plus its own optional idempotency key. */
const batchItemSchema = z.discriminatedUnion("type", [
  creditSchema.extend({ idempotencyKey }),
  debitSchema.extend({ idempotencyKey }),
  reserveSchema.extend({ idempotencyKey }),
  releaseSchema.extend({ idempotencyKey }),
  transferSchema.extend({ idempotencyKey }),
]);

const batchRequestSchema = z
  .strictObject({ operations: z.array(batchItemSchema).min(1).max(MAX_BATCH) })
  .openapi("BatchRequest");

const batchResultSchema = z.union([
  z.object({ id: z.string(), status: operationViewSchema.shape.status, replayed: z.boolean() }),
  z.object({ error: problemSchema }),
]);

const route = createRoute({
  method: "post",
  path: "/v1/operations/batch",
  tags: ["Operations"],
  summary: "Submit up to 1000 operations",
  description:
    "Validated whole: any invalid item is a 400 naming the item indexes in errors[].path, and nothing " +
    "is accepted. Each item is its own operation (not atomic across items). Results come in request order.",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: batchRequestSchema } } } },
  responses: {
    202: {
      description: "Results in request order",
      content: { "application/json": { schema: z.object({ results: z.array(batchResultSchema) }) } },
    },
    ...errorAnswers.body,
    ...errorAnswers.validated,
    ...errorAnswers.scoped,
    ...errorAnswers.authenticated,
  },
});

/** `POST /v1/operations/batch` (scope operations:write), through the same path as single submissions. */
export function batchRoute(services: ApiServices) {
  const app = newRouter();
  app.openapi({ ...route, middleware: [services.requireScope("operations:write")] }, async (c) => {
    const { operations } = c.req.valid("json");
    const items: SubmitItem[] = operations.map(({ idempotencyKey: key, ...request }) => ({
      request,
      idempotencyKey: key ?? null,
    }));
    const refusal = await checkSubmission(
      services,
      items.map((item, i) => ({ request: item.request, path: `operations.${i}.` })),
    );
    if (refusal) throw refusalError(refusal);
    const results = await acceptOperations(services.accept, c.get("client").id, items);
    if (results.every((r) => r.kind === "unavailable")) {
      throw new ApiError("unavailable", "the operations could not be stored durably; nothing was accepted", {
        retryAfterSeconds: 1,
      });
    }
    const requestId = c.get("requestId");
    return c.json(
      {
        results: results.map((result) => {
          const answer = submissionAnswer(result);
          if (!answer.ok) return { error: problemOf(answer.error.code, answer.error.message, requestId) };
          return { id: answer.body.id, status: answer.body.status, replayed: answer.replayed };
        }),
      },
      202,
    );
  });
  return app;
}
