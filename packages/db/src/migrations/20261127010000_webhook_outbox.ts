import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never change once released.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Notifications owed: written in the transaction that makes an operation final, deleted once
    -- its delivery job is queued. A worker that dies in between leaves the row, and the sweeper
    -- queues it later: a notification is never lost.
    CREATE TABLE webhook_outbox (
      operation_id text COLLATE "C" PRIMARY KEY,
      client_id text NOT NULL,
      url text NOT NULL,
      accepted_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX webhook_outbox_created_idx ON webhook_outbox (created_at);

    DO $grants$
    BEGIN
      IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_app') THEN
        GRANT SELECT, INSERT, DELETE ON webhook_outbox TO accounts_app;
      END IF;
    END
    $grants$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS webhook_outbox`.execute(db);
}
