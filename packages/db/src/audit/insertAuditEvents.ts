import { type Kysely, sql } from "kysely";
import type { Database } from "../database.ts";

/**
 * One security event for `audit_log`. Never put a key, a secret or a password in it: a key is
 * identified by its prefix.
 */
export interface AuditEvent {
  /** Dotted name: `auth.failed`, `auth.blocked`, `auth.forbidden`, `client.created`, `admin.action`... */
  event: string;
  /** When it happened; the insert time when omitted. */
  at?: Date;
  /** The API client concerned, when known. */
  clientId?: string | null;
  /** Who did it when it was not an API client: an operator's OS user, `bootstrap`... */
  actor?: string | null;
  ip?: string | null;
  requestId?: string | null;
  /** Anything else worth keeping; must be JSON-serialisable. */
  details?: Record<string, unknown>;
}

/**
 * Inserts audit events in one statement (one round trip however many), and returns how many rows
 * were written.
 *
 * ```sql
 * INSERT INTO audit_log (at, event, client_id, actor, ip, request_id, details)
 * SELECT coalesce(at, now()), event, client_id, actor, ip, request_id, details::jsonb
 * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
 *   AS t(at, event, client_id, actor, ip, request_id, details)
 * ```
 *
 * @example
 * await insertAuditEvents(db, [
 *   { event: "auth.failed", ip: "10.0.0.7", requestId, details: { reason: "unknown_key", keyPrefix } },
 * ]);
 */
export async function insertAuditEvents(
  db: Kysely<Database>,
  events: readonly AuditEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const result = await sql`
    INSERT INTO audit_log (at, event, client_id, actor, ip, request_id, details)
    SELECT coalesce(at, now()), event, client_id, actor, ip, request_id, details::jsonb
    FROM unnest(
      ${events.map((e) => e.at ?? null)}::timestamptz[],
      ${events.map((e) => e.event)}::text[],
      ${events.map((e) => e.clientId ?? null)}::text[],
      ${events.map((e) => e.actor ?? null)}::text[],
      ${events.map((e) => e.ip ?? null)}::text[],
      ${events.map((e) => e.requestId ?? null)}::text[],
      ${events.map((e) => JSON.stringify(e.details ?? {}))}::text[]
    ) AS t(at, event, client_id, actor, ip, request_id, details)
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
