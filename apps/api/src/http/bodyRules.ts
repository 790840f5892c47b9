import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ApiEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

export const SINGLE_BODY_LIMIT = 64 * 1024;
export const BATCH_BODY_LIMIT = 1024 * 1024;

const tooLarge = (limit: number) => () => {
  throw new ApiError("payload_too_large", `the body is larger than ${limit / 1024} KiB`);
};
const single = bodyLimit({ maxSize: SINGLE_BODY_LIMIT, onError: tooLarge(SINGLE_BODY_LIMIT) });
const batch = bodyLimit({ maxSize: BATCH_BODY_LIMIT, onError: tooLarge(BATCH_BODY_LIMIT) });

/** Bodies over 1 MiB (batch) or 64 KiB (everything else) are refused with 413 before they are read. */
export function bodyLimits(): MiddlewareHandler<ApiEnv> {
  return (c, next) => (c.req.path === "/v1/operations/batch" ? batch(c, next) : single(c, next));
}

/** A request with a body must be `application/json` (any charset parameter): otherwise 415. */
export function jsonBodies(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.req.method === "POST" || c.req.method === "PUT" || c.req.method === "PATCH") {
      const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
      if (type !== "application/json") {
        throw new ApiError("unsupported_media_type", "send the body as Content-Type: application/json");
      }
    }
    await next();
  };
}
