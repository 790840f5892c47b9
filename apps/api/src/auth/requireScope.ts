import type { Scope } from "@accounts/domain";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import type { AuditSink } from "./auditLog.ts";

/**
 * Answers 403 `forbidden`, naming the missing scope, unless the authenticated client holds `scope`.
 * Goes after `authenticate()`.
 *
 * `admin` does not imply the other scopes: an operator's key opens the dashboard and runs
 * maintenance, and least privilege says it should not also move money or read balances. A key
 * that needs both is given both (the bootstrap client holds every scope explicitly). Keeping the
 * check a plain set membership also keeps it obviously right in the access-control matrix.
 *
 * With an audit sink, refusals are audited (`auth.forbidden`): a valid key probing routes it was
 * not given is worth an operator's look.
 *
 * @example
 * app.post("/v1/operations", requireScope("operations:write"), submitOperation);
 * app.use("/v1/admin/*", requireScope("admin", audit));
 */
export function requireScope(scope: Scope, audit?: AuditSink): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const client = c.get("client");
    // A route wired without authenticate(): fail closed, and loudly (500, logged as a bug).
    if (!client) throw new Error(`requireScope("${scope}") needs authenticate() before it`);
    if (!client.scopes.has(scope)) {
      audit?.record({
        event: "auth.forbidden",
        clientId: client.id,
        requestId: c.get("requestId"),
        details: { scope, method: c.req.method, path: c.req.path },
      });
      throw new ApiError("forbidden", `this API key lacks the scope "${scope}" that this route requires`);
    }
    await next();
  };
}
