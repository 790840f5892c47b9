import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../http/context.ts";
import type { AuditSink } from "./auditLog.ts";
import { type ClientIpResolver, socketAddress } from "./clientIp.ts";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Audits every state-changing admin request (`admin.action`: client, address, method, path,
 * status), after it ran. Reads are not audited: the dashboard polls, and an audit log full of
 * polls hides what matters. Refusals (401, 403) are not audited here either: `authenticate()` and
 * `requireScope()` already audit them (`auth.failed`, `auth.forbidden`). Goes after `authenticate()`.
 *
 * @example
 * app.use("/v1/admin/*", requireScope("admin"), auditAdminActions(audit));
 */
export function auditAdminActions(
  audit: AuditSink,
  options: { clientIp?: ClientIpResolver } = {},
): MiddlewareHandler<ApiEnv> {
  const clientIp = options.clientIp ?? socketAddress;
  return async (c, next) => {
    await next();
    if (READS.has(c.req.method) || c.res.status === 401 || c.res.status === 403) return;
    audit.record({
      event: "admin.action",
      clientId: c.get("client")?.id ?? null,
      ip: clientIp(c),
      requestId: c.get("requestId"),
      details: { method: c.req.method, path: c.req.path, status: c.res.status },
    });
  };
}
