import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never change once released.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The last word on Idempotency-Keys: the first operation applied under (client, key), written in
    -- the transaction that applies it. Redis remembers keys too (the API answers replays from it),
    -- but a Redis that lost its record (a failover to a replica that never had it) gives a retry a
    -- new operation id: that second operation finds the key here and is not applied
    -- (docs/adr/0008-idempotency-keys-in-postgresql.md). Not partitioned: the key is unique across
    -- all time partitions. Rows are kept (pruning them after the key's lifetime is not done yet).
    CREATE TABLE idempotency_keys (
      client_id text COLLATE "C" NOT NULL,
      idempotency_key text COLLATE "C" NOT NULL,
      operation_id text COLLATE "C" NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (client_id, idempotency_key)
    );
    CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

    DO $grants$
    BEGIN
      IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_app') THEN
        GRANT SELECT, INSERT ON idempotency_keys TO accounts_app;
      END IF;
    END
    $grants$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS idempotency_keys`.execute(db);
}
