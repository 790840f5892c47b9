export { type BalanceAt, getBalanceAt } from "./accounts/getBalanceAt.ts";
export { type BalanceRow, getBalances } from "./accounts/getBalances.ts";
export { type EntryRow, type ListEntriesQuery, listEntries } from "./accounts/listEntries.ts";
export { type AuditEvent, insertAuditEvents } from "./audit/insertAuditEvents.ts";
export { type BootstrapResult, ensureBootstrapClient } from "./clients/ensureBootstrapClient.ts";
export { findActiveClientByKeyHash } from "./clients/findActiveClientByKeyHash.ts";
export { getClientSecret } from "./clients/getClientSecret.ts";
export { insertClient } from "./clients/insertClient.ts";
export { listClients } from "./clients/listClients.ts";
export { loadActiveClients } from "./clients/loadActiveClients.ts";
export { revokeClient } from "./clients/revokeClient.ts";
export type { ActiveClient, ClientSummary, NewClient } from "./clients/types.ts";
export { CurrencyCache } from "./currencies/currencyCache.ts";
export { insertCurrency } from "./currencies/insertCurrency.ts";
export { type Currency, listCurrencies } from "./currencies/listCurrencies.ts";
export type * from "./database.ts";
export * from "./errors.ts";
export { applyOperationBatch } from "./ledger/applyOperationBatch.ts";
export {
  checkLedgerInvariants,
  type InvariantReport,
  type InvariantViolation,
} from "./ledger/checkLedgerInvariants.ts";
export type { BatchInput, OperationOutcome } from "./ledger/types.ts";
export {
  claimMaintenanceRun,
  type RunClaim,
  type RunClaimRequest,
} from "./maintenance/claimMaintenanceRun.ts";
export { closeInterruptedRuns } from "./maintenance/closeInterruptedRuns.ts";
export { COUNTED_TABLES, type CountedTable, countTableRows } from "./maintenance/countTableRows.ts";
export {
  type DeleteExpiredRequest,
  deleteExpiredRows,
  EXPIRING_TABLES,
  type ExpiringTable,
} from "./maintenance/deleteExpiredRows.ts";
export { type DropPartitionRequest, dropTimePartition } from "./maintenance/dropTimePartition.ts";
export { type EnsurePartitionsRequest, ensureTimePartitions } from "./maintenance/ensureTimePartitions.ts";
export { findLatestRuns } from "./maintenance/findLatestRuns.ts";
export { findNewestBackup, type NewestBackup } from "./maintenance/findNewestBackup.ts";
export { finishMaintenanceRun } from "./maintenance/finishMaintenanceRun.ts";
export { insertMaintenanceRun, type NewMaintenanceRun } from "./maintenance/insertMaintenanceRun.ts";
export { type ListMaintenanceRunsQuery, listMaintenanceRuns } from "./maintenance/listMaintenanceRuns.ts";
export {
  listTimePartitions,
  type TimePartition,
  type TimePartitionedTable,
} from "./maintenance/listTimePartitions.ts";
export {
  MAINTENANCE_RUN_COLUMNS,
  type MaintenanceRunRow,
  type MaintenanceRunStatus,
  type MaintenanceTrigger,
} from "./maintenance/maintenanceRun.ts";
export { partitionsAheadEnv } from "./maintenance/partitionsAheadEnv.ts";
export { type ArchiverStatus, readArchiverStatus } from "./maintenance/readArchiverStatus.ts";
export { VACUUM_TABLES, type VacuumTable, vacuumAnalyze } from "./maintenance/vacuumAnalyze.ts";
export { migrateToLatest } from "./migrator.ts";
export { findLastAppliedOperation, type LastOperation } from "./operations/findLastAppliedOperation.ts";
export { finalOperationOf, findOperation } from "./operations/findOperation.ts";
export * from "./pool.ts";
export { hex16ToLsn, lsnToHex16, parseLsn, readWalInsertPosition } from "./replicas/lsn.ts";
export {
  type ReadTarget,
  ReplicaReads,
  type ReplicaReadsOptions,
  type ReplicaStatus,
} from "./replicas/replicaReads.ts";
export {
  assertCommitReplicated,
  isCancelledReplicationWait,
  UnreplicatedCommitError,
} from "./replicas/unreplicatedCommit.ts";
export { deleteOutboxRows } from "./webhooks/deleteOutboxRows.ts";
export { findOutboxRows } from "./webhooks/findOutboxRows.ts";
export { findStaleOutbox } from "./webhooks/findStaleOutbox.ts";
export { insertDeliveryAttempt, type NewDeliveryAttempt } from "./webhooks/insertDeliveryAttempt.ts";
export { type DeliveryAttemptRow, listDeliveries } from "./webhooks/listDeliveries.ts";
export { OUTBOX_COLUMNS, type OutboxRow } from "./webhooks/outboxRow.ts";
export { tryLockOutboxSweep } from "./webhooks/tryLockOutboxSweep.ts";
