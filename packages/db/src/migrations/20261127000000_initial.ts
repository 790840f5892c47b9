import { type Kysely, sql } from "kysely";

// Frozen in time: this migration must never change once released. Later changes are new migrations.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE currencies (
      code text COLLATE "C" PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{2,12}$'),
      scale smallint NOT NULL CHECK (scale BETWEEN 0 AND 18),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO currencies (code, scale) VALUES ('BTC', 8), ('ETH', 18), ('USDT', 6), ('USD', 2);

    -- Balances. user_id and currency use the "C" collation so that the global lock order
    -- (user_id, currency) is plain byte order, the same in PostgreSQL and in TypeScript.
    CREATE TABLE accounts (
      user_id text COLLATE "C" NOT NULL,
      currency text COLLATE "C" NOT NULL REFERENCES currencies (code),
      available numeric NOT NULL DEFAULT 0,
      reserved numeric NOT NULL DEFAULT 0,
      total numeric NOT NULL DEFAULT 0,
      version bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, currency),
      CONSTRAINT accounts_total_is_sum CHECK (total = available + reserved),
      CONSTRAINT accounts_user_buckets_non_negative
        CHECK (user_id LIKE '@%' OR (available >= 0 AND reserved >= 0)),
      CONSTRAINT accounts_version_non_negative CHECK (version >= 0)
    ) PARTITION BY HASH (user_id);
  `.execute(db);
  for (let i = 0; i < 16; i++) {
    const name = sql.id(`accounts_p${String(i).padStart(2, "0")}`);
    await sql`CREATE TABLE ${name} PARTITION OF accounts FOR VALUES WITH (MODULUS 16, REMAINDER ${sql.lit(i)})`.execute(
      db,
    );
  }

  await sql`
    -- Results of operations, one row per operation, written in the transaction that applies it.
    -- Partitioned by acceptance day; the scheduler drops days older than the retention period.
    -- The id is a ULID carrying accepted_at, so a lookup by id names its partition.
    CREATE TABLE operations (
      id text COLLATE "C" NOT NULL,
      client_id text NOT NULL,
      idempotency_key text,
      type text NOT NULL CHECK (type IN ('credit', 'debit', 'reserve', 'release', 'transfer')),
      -- json, not jsonb: stored and returned exactly as given (key order too), and cheaper to write.
      request json NOT NULL,
      request_hash text NOT NULL,
      status text NOT NULL CHECK (status IN ('applied', 'rejected')),
      rejection json,
      balances json,
      partition smallint NOT NULL,
      accepted_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      PRIMARY KEY (id, accepted_at),
      CHECK ((status = 'rejected') = (rejection IS NOT NULL))
    ) PARTITION BY RANGE (accepted_at);

    -- The ledger: one row per bucket change. Ordered by id, which follows commit order per account
    -- because the sequence hands out values one at a time (CACHE 1) and an account's row lock
    -- serialises the transactions that write its entries.
    CREATE SEQUENCE ledger_entries_id_seq AS bigint CACHE 1;
    CREATE TABLE ledger_entries (
      id bigint NOT NULL DEFAULT nextval('ledger_entries_id_seq'),
      operation_id text COLLATE "C" NOT NULL,
      seq smallint NOT NULL,
      user_id text COLLATE "C" NOT NULL,
      currency text COLLATE "C" NOT NULL,
      bucket text NOT NULL CHECK (bucket IN ('available', 'reserved')),
      amount numeric NOT NULL CHECK (amount <> 0),
      balance_after numeric NOT NULL,
      version bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      -- Entries are only ever inserted with their operation's row, whose primary key already makes
      -- an operation's entries unique; a bigint key is a third cheaper to maintain than a text one.
      PRIMARY KEY (id, created_at)
    ) PARTITION BY RANGE (created_at);
    ALTER SEQUENCE ledger_entries_id_seq OWNED BY ledger_entries.id;
    CREATE INDEX ledger_entries_account_idx ON ledger_entries (user_id, currency, id);

    CREATE TABLE api_clients (
      id text PRIMARY KEY,
      name text NOT NULL,
      key_hash bytea NOT NULL UNIQUE,
      key_prefix text NOT NULL,
      scopes text[] NOT NULL,
      webhook_secret text NOT NULL,
      rate_limit integer NOT NULL DEFAULT 10000 CHECK (rate_limit > 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );

    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      event text NOT NULL,
      client_id text,
      actor text,
      ip text,
      request_id text,
      details jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_at_idx ON audit_log (at);

    CREATE TABLE maintenance_runs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      task text NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
      trigger text NOT NULL DEFAULT 'schedule',
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      details jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX maintenance_runs_task_idx ON maintenance_runs (task, started_at DESC);

    CREATE TABLE webhook_deliveries (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      operation_id text COLLATE "C" NOT NULL,
      client_id text NOT NULL,
      attempt integer NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      url text NOT NULL,
      status_code integer,
      error text,
      duration_ms integer NOT NULL
    );
    CREATE INDEX webhook_deliveries_operation_idx ON webhook_deliveries (operation_id, attempt);

    -- Creates the daily partitions of operations and the monthly partitions of ledger_entries that
    -- do not exist yet, from the day before p_from up to p_days_ahead / p_months_ahead after it.
    -- SECURITY DEFINER so that the application role can heal a missing partition itself.
    CREATE FUNCTION ensure_time_partitions(p_days_ahead integer, p_months_ahead integer, p_from date DEFAULT current_date)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
    DECLARE
      d date;
      created integer := 0;
      name text;
    BEGIN
      FOR d IN SELECT generate_series(p_from - 1, p_from + p_days_ahead, interval '1 day')::date LOOP
        name := 'operations_' || to_char(d, 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
          EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF operations FOR VALUES FROM (%L) TO (%L)',
            name, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
          created := created + 1;
        END IF;
      END LOOP;
      FOR d IN SELECT generate_series(date_trunc('month', p_from), date_trunc('month', p_from) + make_interval(months => p_months_ahead), interval '1 month')::date LOOP
        name := 'ledger_entries_' || to_char(d, 'YYYYMM');
        IF to_regclass(name) IS NULL THEN
          EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF ledger_entries FOR VALUES FROM (%L) TO (%L)',
            name, d::timestamp AT TIME ZONE 'UTC', (d + interval '1 month')::timestamp AT TIME ZONE 'UTC');
          created := created + 1;
        END IF;
      END LOOP;
      RETURN created;
    END
    $fn$;
    SELECT ensure_time_partitions(7, 2);
  `.execute(db);

  // Roles are cluster-wide: create them once, and grant on this database's tables. A migration user
  // without CREATEROLE skips the roles with a notice (a managed database creates them out of band).
  await sql`
    DO $roles$
    BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_app') THEN
        CREATE ROLE accounts_app NOLOGIN;
      END IF;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_readonly') THEN
        CREATE ROLE accounts_readonly NOLOGIN;
      END IF;
    EXCEPTION
      WHEN insufficient_privilege OR unique_violation THEN
        RAISE NOTICE 'roles accounts_app / accounts_readonly not created: %', SQLERRM;
    END
    $roles$;

    DO $grants$
    BEGIN
      IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_app') THEN
        GRANT USAGE ON SCHEMA public TO accounts_app;
        GRANT SELECT ON currencies TO accounts_app;
        GRANT INSERT ON currencies TO accounts_app;
        GRANT SELECT, INSERT, UPDATE ON accounts, operations, ledger_entries, api_clients,
          maintenance_runs, webhook_deliveries TO accounts_app;
        GRANT SELECT, INSERT ON audit_log TO accounts_app;
        GRANT USAGE ON SEQUENCE ledger_entries_id_seq TO accounts_app;
        GRANT EXECUTE ON FUNCTION ensure_time_partitions(integer, integer, date) TO accounts_app;
      END IF;
      IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'accounts_readonly') THEN
        GRANT USAGE ON SCHEMA public TO accounts_readonly;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO accounts_readonly;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO accounts_readonly;
      END IF;
    END
    $grants$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS ensure_time_partitions(integer, integer, date);
    DROP TABLE IF EXISTS webhook_deliveries, maintenance_runs, audit_log, api_clients, ledger_entries,
      operations, accounts, currencies CASCADE;
  `.execute(db);
}
