import type { OperationRequest, QueuedOperation, Rejection } from "@accounts/domain";
import type { StoredBalance } from "../database.ts";

/**
 * The types of the ledger's write path, in one module that every step imports (and that imports
 * none of them): applyOperationBatch.ts runs the steps, writeBatch.ts and writeSmallBatch.ts write.
 */

export interface BatchInput {
  /** The partition whose queue the batch came from: it picks the partition's `@external` account. */
  partition: number;
  operations: readonly QueuedOperation[];
  /** Currency code to scale, covering at least the currencies of the batch (others are rejected). */
  scales: ReadonlyMap<string, number>;
  /**
   * The operations are probably not stored yet (a job's first run): skip looking for them and rely on
   * the primary key, saving a query per batch. Correct either way; only speed differs.
   */
  likelyFresh?: boolean;
}

/** The final result of one operation of a batch. */
export interface OperationOutcome {
  id: string;
  clientId: string;
  type: OperationRequest["type"];
  request: Record<string, unknown>;
  status: "applied" | "rejected";
  rejection: Rejection | null;
  /** Every touched user account right after the operation (null when rejected). */
  balances: StoredBalance[] | null;
  acceptedAt: Date;
  finishedAt: Date;
  /** True when the operation had been applied before (by an earlier run) and this is its stored result. */
  replayed: boolean;
}

/** A balance to write: decimal strings at the currency's scale. */
export interface BalanceWrite {
  userId: string;
  currency: string;
  available: string;
  reserved: string;
  version: number;
  /** The version the row was locked at (the guard), or null for a row that does not exist yet. */
  loadedVersion: number | null;
}

/** An `operations` row to write. */
export interface OperationWrite {
  id: string;
  clientId: string;
  idempotencyKey: string | null;
  type: string;
  /** The request as submitted (stored as json text, exactly as serialised here). */
  request: unknown;
  requestHash: string;
  status: "applied" | "rejected";
  rejection: unknown;
  balances: unknown;
  acceptedAt: Date;
  /** Where to notify the client of the result, if it asked: a webhook_outbox row is written. */
  callbackUrl: string | null;
}

/** A `ledger_entries` row to write. */
export interface EntryWrite {
  operationId: string;
  seq: number;
  userId: string;
  currency: string;
  bucket: "available" | "reserved";
  amount: string;
  balanceAfter: string;
  version: number;
}

/** Everything one batch writes, in one transaction. */
export interface BatchWrite {
  partition: number;
  finishedAt: Date;
  balances: readonly BalanceWrite[];
  operations: readonly OperationWrite[];
  entries: readonly EntryWrite[];
}
