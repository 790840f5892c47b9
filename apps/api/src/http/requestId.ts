import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./context.ts";

/** An incoming X-Request-Id is echoed when it is short and plain; otherwise a new one is made. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Sets `requestId` on the context and the `X-Request-Id` header on every answer. */
export function requestIdMiddleware(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    await next();
    c.header("X-Request-Id", requestId);
  };
}
