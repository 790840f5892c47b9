import { z } from "@hono/zod-openapi";
import { ERROR_CODES, statusOf } from "./errors.ts";

/** Schemas of responses and common inputs, shared by the routes and the OpenAPI document. */

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    // A string, not an enum, in the document: a client must take a code it does not know yet.
    code: z.string().meta({
      example: "invalid_request",
      description: `Stable and machine-readable: ${ERROR_CODES.map((code) => `${code} (${statusOf(code)})`).join(", ")}.`,
    }),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string(),
  })
  .openapi("Problem");

export function problemResponse(description: string) {
  return { description, content: { "application/problem+json": { schema: problemSchema } } };
}

/**
 * The error answers of the routes, as the OpenAPI document lists them: each route spreads the
 * groups it can answer, so that the document (and docs/api.md, checked against it) says exactly
 * what a caller may get.
 */
export const errorAnswers = {
  /** Every route behind authentication: no or unknown key, rate limit, a dependency down. */
  authenticated: {
    401: problemResponse("Missing or unknown API key (code unauthorized)"),
    429: problemResponse("Rate limit exceeded (code rate_limited, with Retry-After)"),
    503: problemResponse("A dependency is unavailable (code unavailable, with Retry-After)"),
  },
  /** A route that needs a scope. */
  scoped: { 403: problemResponse("The key lacks the scope this route needs (code forbidden)") },
  /** A route with a query, header or body to validate. */
  validated: { 400: problemResponse("Invalid request (code invalid_request), every problem in errors[]") },
  /** A POST: its body's media type and size are checked (1 MiB for a batch, 64 KiB otherwise). */
  body: {
    413: problemResponse("Body over the size limit (code payload_too_large)"),
    415: problemResponse("Body is not application/json (code unsupported_media_type)"),
  },
  /** A route with a path parameter: a malformed or unknown one names no resource. */
  resource: (what: string) => ({ 404: problemResponse(`${what} (code not_found)`) }),
} as const;

const balanceSchema = z
  .object({
    userId: z.string(),
    currency: z.string(),
    available: z.string().meta({ example: "0.40000000" }),
    reserved: z.string().meta({ example: "0.10000000" }),
    total: z.string().meta({ example: "0.50000000" }),
    version: z.number().int(),
  })
  .openapi("Balance");

export const operationViewSchema = z
  .object({
    id: z.string().meta({ example: "op_01KB3Z8Q6M2Y9W4T7R5N1C0D8F07" }),
    type: z.string().meta({ example: "reserve" }),
    status: z.enum(["accepted", "applied", "rejected", "failed"]),
    request: z.record(z.string(), z.unknown()).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    acceptedAt: z.string().meta({ example: "2026-11-27T06:00:00.000Z" }),
    finishedAt: z.string().optional(),
    balances: z.array(balanceSchema).optional(),
    rejection: z
      .object({ code: z.string(), message: z.string(), duplicateOf: z.string().optional() })
      .optional(),
    problem: z.object({ code: z.string(), detail: z.string() }).optional(),
  })
  .openapi("Operation");

export const acceptedSchema = z
  .object({
    id: z.string(),
    status: z.literal("accepted"),
    acceptedAt: z.string(),
  })
  .openapi("Accepted");

/** An operation id in a path: anything up to 64 characters (a malformed one is simply not found). */
export const operationIdParam = z
  .string()
  .max(64)
  .openapi({ param: { name: "id", in: "path" } });

export const userIdParam = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/)
  .openapi({ param: { name: "userId", in: "path" }, example: "alice" });

export const currencyParam = z
  .string()
  .regex(/^[A-Z0-9]{2,12}$/)
  .openapi({ param: { name: "currency", in: "path" }, example: "BTC" });
