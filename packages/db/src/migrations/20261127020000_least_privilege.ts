import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never change once released.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- ensure_time_partitions is SECURITY DEFINER (it runs as its owner, who may create tables), and
    -- PostgreSQL grants EXECUTE on every new function to PUBLIC: any role that can connect, the
    -- read-only analytics role included, could run DDL through it. Only the application keeps it.
    REVOKE EXECUTE ON FUNCTION ensure_time_partitions(integer, integer, date) FROM PUBLIC;

    DO $grants$
    BEGIN
      -- The read-only role reads the ledger, not the clients' webhook signing secrets (a reader
      -- could forge any client's webhooks) nor the hashes of their keys.
      IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_readonly') THEN
        REVOKE SELECT ON api_clients FROM accounts_readonly;
        GRANT SELECT (id, name, key_prefix, scopes, rate_limit, created_at, revoked_at)
          ON api_clients TO accounts_readonly;
      END IF;
    END
    $grants$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    GRANT EXECUTE ON FUNCTION ensure_time_partitions(integer, integer, date) TO PUBLIC;
    DO $grants$
    BEGIN
      IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_readonly') THEN
        REVOKE SELECT (id, name, key_prefix, scopes, rate_limit, created_at, revoked_at)
          ON api_clients FROM accounts_readonly;
        GRANT SELECT ON api_clients TO accounts_readonly;
      END IF;
    END
    $grants$;
  `.execute(db);
}
