import type { AuditEvent } from "@accounts/db";
import type { Counter } from "@accounts/runtime";
import type { AuditSink } from "../auth/auditLog.ts";

const REASONS = new Set(["missing_credentials", "malformed_credentials", "unknown_key"]);

/**
 * An audit sink that also counts failed authentications in `accounts_auth_failures_total{reason}`
 * (the login-failure alert) before handing every event on: authenticate() already reports each
 * failure to the audit log, so counting there needs no second hook in the auth path.
 *
 * @example
 * authenticate(registry, countAuthFailures(audit, metrics.authFailures), { failures });
 */
export function countAuthFailures(audit: AuditSink, failures: Counter<"reason">): AuditSink {
  return {
    record(event: AuditEvent): void {
      if (event.event === "auth.failed") {
        const reason = event.details?.reason;
        failures.inc({ reason: typeof reason === "string" && REASONS.has(reason) ? reason : "other" });
      }
      audit.record(event);
    },
  };
}
