import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./context.ts";

/** An incoming X-Request-Id is echoed when it is short and plain; otherwise a new one is made. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Sets `requestId` on the context and the `X-Request-Id` header on every answer.
 *
 * Under the Node server the header is set on Node's response before anything is answered: Node
 * merges it into whatever answer is written, whoever built it (a problem document, the 401 with
 * its challenge, the queue dashboard, a static file). Through Hono's context it would cost more: a
 * header set before the answer exists makes every answer carry a WHATWG Headers object instead of
 * a plain one, and a header set on an existing answer makes @hono/node-server turn its lightweight
 * Response into a full one that Hono then copies (together measured at about 8 % of the API's CPU
 * per POST). Without Node bindings (`app.request()` in tests) Hono's context sets it.
 */
export function requestIdMiddleware(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing && !outgoing.headersSent) {
      outgoing.setHeader("X-Request-Id", requestId);
      return next();
    }
    await next();
    c.header("X-Request-Id", requestId);
  };
}
