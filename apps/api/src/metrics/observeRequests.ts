import { fixedFieldsLogger, type Logger, type RecentLatency } from "@accounts/runtime";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { ApiEnv } from "../http/context.ts";
import type { HttpMetrics } from "./httpMetrics.ts";

/** The route label of a request that matched no route (only the catch-all middlewares). */
const UNMATCHED_ROUTE = "(unmatched)";

const SUBMIT_ROUTES = new Set(["/v1/operations", "/v1/operations/batch"]);

/** The request line's logger, per app logger: its fields are all set here, none is a secret. */
const requestLoggers = new WeakMap<Logger, Logger>();
function requestLogger(log: Logger): Logger {
  let found = requestLoggers.get(log);
  if (!found) {
    found = fixedFieldsLogger(log);
    requestLoggers.set(log, found);
  }
  return found;
}

export interface ObserveRequestsOptions {
  http: HttpMetrics;
  /** Latency of accepted submissions, for the `performance` check of /health. */
  acceptLatency?: RecentLatency;
  /** A submission answered 503: it could not be stored durably (an infrastructure error). */
  onAcceptUnavailable?: () => void;
  /** One JSON line per request (`LOG_REQUESTS`); the metrics are kept either way. */
  logRequests?: boolean;
}

/**
 * Measures every request once it is answered (errors included: the app's error handler has
 * rendered them by then): the HTTP metrics by route pattern, the accept latency of submissions,
 * and one log line with the request id, method, route, path, status, duration and calling client,
 * and for a single submission the id of the operation it created (from its `Location`), which ties
 * the request id to the operation id. Never the request's headers or body: keys and secrets travel
 * there: the line is written without the logger's redaction pass (`fixedFieldsLogger`), which cost
 * more than the line itself.
 *
 * Goes right after the request id middleware, so that it sees the whole of the request.
 *
 * @example
 * app.use("*", observeRequests({ http: metrics.http, acceptLatency, logRequests: true }));
 */
export function observeRequests(options: ObserveRequestsOptions): MiddlewareHandler<ApiEnv> {
  const logRequests = options.logRequests ?? true;
  return async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const status = c.res.status;
    const method = c.req.method;
    const route = routeOf(c, status);
    options.http.observe(method, route, status, ms / 1000);
    if (method === "POST" && SUBMIT_ROUTES.has(route)) {
      if (status < 300) options.acceptLatency?.record(ms);
      else if (status === 503) options.onAcceptUnavailable?.();
    }
    if (!logRequests) return;
    const location = status < 300 && route === "/v1/operations" ? c.res.headers.get("location") : null;
    const line = {
      requestId: c.get("requestId"),
      method,
      route,
      path: c.req.path,
      status,
      ms: Math.round(ms * 100) / 100,
      clientId: c.get("client")?.id,
      operationId: location ? location.slice(location.lastIndexOf("/") + 1) : undefined,
    };
    const log = requestLogger(c.get("log"));
    if (status >= 500) log.warn(line, "request");
    else log.info(line, "request");
  };
}

/**
 * The pattern of the last route the request matched (`/v1/operations/:id`), which is the route that
 * answered or, when a middleware refused it first (401, 429), the route it was meant for. A request
 * that matched only catch-all middlewares is `(unmatched)`: its path must not become a label.
 */
function routeOf(c: Parameters<MiddlewareHandler<ApiEnv>>[0], status: number): string {
  const path = routePath(c, -1);
  if (status === 404 && (path === "" || path === "*" || path.endsWith("/*"))) return UNMATCHED_ROUTE;
  return path || UNMATCHED_ROUTE;
}
