import { isDatabaseUnavailableError } from "@accounts/db";
import { isRedisUnavailableError } from "@accounts/queue";
import type { Logger } from "@accounts/runtime";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Hono, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { jsonBodies } from "./http/bodyRules.ts";
import type { ApiEnv } from "./http/context.ts";
import { ApiError, type ErrorCode, renderProblem } from "./http/errors.ts";
import { requestIdMiddleware } from "./http/requestId.ts";
import { newRouter } from "./http/router.ts";
import { accountBalanceRoutes } from "./routes/accountBalances.ts";
import { accountEntriesRoute } from "./routes/accountEntries.ts";
import { currencyRoutes } from "./routes/currencies.ts";
import { docsRoutes } from "./routes/docs.ts";
import { getOperationRoute } from "./routes/getOperation.ts";
import { type HealthDeps, healthRoutes } from "./routes/health.ts";
import { batchRoute } from "./routes/submitBatch.ts";
import { submitOperationRoute } from "./routes/submitOperation.ts";
import type { ApiServices } from "./services.ts";

export interface AppDeps extends HealthDeps {
  log: Logger;
  services: ApiServices;
  /** Establishes `c.get("client")` or answers 401. */
  authenticate: MiddlewareHandler<ApiEnv>;
  /** Per-client request rate limit (429). */
  rateLimit: MiddlewareHandler<ApiEnv>;
  /** More authenticated `/v1` routes (deliveries, admin). */
  extraRoutes?: readonly OpenAPIHono<ApiEnv>[];
  /** Metrics and the log line of every request (`observeRequests`); first after the request id. */
  observeRequests?: MiddlewareHandler<ApiEnv>;
  /** Audits admin actions (`auditAdminActions`): POST /v1/currencies and /v1/admin/*. */
  auditAdmin?: MiddlewareHandler<ApiEnv>;
  /** The queue dashboard, mounted at /admin/queues with its own (Basic-capable) authentication. */
  queueDashboard?: Hono<ApiEnv>;
}

const HTTP_CODES: Record<number, ErrorCode> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "unavailable",
};

/**
 * The HTTP application, wired from its dependencies (no globals), so tests build it with real
 * PostgreSQL and Redis and serve it in-process.
 */
export function createApp(deps: AppDeps): OpenAPIHono<ApiEnv> {
  const app = newRouter();
  app.use("*", requestIdMiddleware());
  app.use("*", async (c, next) => {
    c.set("log", deps.log);
    await next();
  });
  if (deps.observeRequests) app.use("*", deps.observeRequests);
  app.route("/", healthRoutes(deps));
  if (deps.queueDashboard) app.route("/admin/queues", deps.queueDashboard);
  app.route("/", docsRoutes());

  app.use("/v1/*", deps.authenticate, deps.rateLimit, jsonBodies());
  if (deps.auditAdmin) {
    // Before the routes: handlers run in the order they were registered.
    app.post("/v1/currencies", deps.auditAdmin);
    app.use("/v1/admin/*", deps.auditAdmin);
  }
  const s = deps.services;
  app.route("/", batchRoute(s));
  app.route("/", submitOperationRoute(s));
  app.route("/", getOperationRoute(s));
  app.route("/", accountBalanceRoutes(s));
  app.route("/", accountEntriesRoute(s));
  app.route("/", currencyRoutes(s));
  for (const extra of deps.extraRoutes ?? []) app.route("/", extra);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key created with `npm run ctl -- clients create`.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Accounts processor",
      version: "1.0.0",
      description:
        "Balance engine of a crypto exchange: submit balance mutations (accepted durably, applied in " +
        "order per account, exactly once), read results by poll or webhook, read balances and entries.",
    },
  });

  app.notFound((c) => renderProblem(c, "not_found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (error instanceof ApiError) {
      return renderProblem(c, error.code, error.message, {
        ...(error.options.errors ? { errors: error.options.errors } : {}),
        ...(error.options.retryAfterSeconds !== undefined
          ? { retryAfterSeconds: error.options.retryAfterSeconds }
          : {}),
      });
    }
    if (error instanceof HTTPException && HTTP_CODES[error.status]) {
      // Hono's own refusals: malformed JSON (400), wrong media type (415)...
      return renderProblem(c, HTTP_CODES[error.status] as ErrorCode, error.message || "invalid request");
    }
    if (isDatabaseUnavailableError(error) || isRedisUnavailableError(error)) {
      // An outage of PostgreSQL or Redis, not a bug: 503 with Retry-After, and the caller retries
      // (a poll or an idempotent replay during a database restart answered 500 before).
      c.get("log").warn(
        { err: error, requestId: c.get("requestId"), path: c.req.path },
        "dependency unavailable",
      );
      return renderProblem(c, "unavailable", "a dependency of the service is unavailable; retry later", {
        retryAfterSeconds: 1,
      });
    }
    // A bug: logged with the request id, never shown (no stack, no SQL in the answer).
    c.get("log").error({ err: error, requestId: c.get("requestId"), path: c.req.path }, "unhandled error");
    return renderProblem(c, "internal", "internal error; quote the request id when reporting it");
  });
  return app;
}
