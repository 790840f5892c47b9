import type { BalanceView } from "@accounts/domain";
import type { ColumnType, Generated, Selectable } from "kysely";

/**
 * Kysely's view of the schema. `numeric` columns are decimal strings (pg returns them as text and we
 * never register a number parser for them); `bigint` columns are parsed to numbers by `pool.ts`.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Numeric = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

export interface CurrenciesTable {
  code: string;
  scale: number;
  created_at: Timestamp;
}

export interface AccountsTable {
  user_id: string;
  currency: string;
  available: Numeric;
  reserved: Numeric;
  total: Numeric;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A balance as stored in an operation's result (decimal strings at the currency's scale). */
export type StoredBalance = BalanceView;

export interface OperationsTable {
  id: string;
  client_id: string;
  idempotency_key: string | null;
  type: "credit" | "debit" | "reserve" | "release" | "transfer";
  request: Json<Record<string, unknown>>;
  request_hash: string;
  status: "applied" | "rejected";
  rejection: Json<{ code: string; message: string } | null>;
  balances: Json<StoredBalance[] | null>;
  partition: number;
  accepted_at: Timestamp;
  finished_at: Timestamp;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  operation_id: string;
  seq: number;
  user_id: string;
  currency: string;
  bucket: "available" | "reserved";
  amount: Numeric;
  balance_after: Numeric;
  version: number;
  created_at: Timestamp;
}

export interface ApiClientsTable {
  id: string;
  name: string;
  key_hash: Buffer;
  key_prefix: string;
  scopes: string[];
  webhook_secret: string;
  rate_limit: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  event: string;
  client_id: string | null;
  actor: string | null;
  ip: string | null;
  request_id: string | null;
  details: Json<Record<string, unknown>>;
}

export interface MaintenanceRunsTable {
  id: Generated<number>;
  task: string;
  status: "running" | "succeeded" | "failed";
  trigger: ColumnType<string, string | undefined, string>;
  started_at: Timestamp;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  details: Json<Record<string, unknown>>;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  operation_id: string;
  client_id: string;
  attempt: number;
  at: Timestamp;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface WebhookOutboxTable {
  operation_id: string;
  client_id: string;
  url: string;
  accepted_at: Timestamp;
  created_at: Timestamp;
}

export interface Database {
  currencies: CurrenciesTable;
  accounts: AccountsTable;
  operations: OperationsTable;
  ledger_entries: LedgerEntriesTable;
  api_clients: ApiClientsTable;
  audit_log: AuditLogTable;
  maintenance_runs: MaintenanceRunsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_outbox: WebhookOutboxTable;
}

export type OperationRow = Selectable<OperationsTable>;
