export type * from "./database.ts";
export * from "./errors.ts";
export { applyOperationBatch } from "./ledger/applyOperationBatch.ts";
export {
  checkLedgerInvariants,
  type InvariantReport,
  type InvariantViolation,
} from "./ledger/checkLedgerInvariants.ts";
export type { BatchInput, OperationOutcome, PendingOperation } from "./ledger/types.ts";
export { migrateToLatest } from "./migrator.ts";
export * from "./pool.ts";
