import {
  type Db,
  dropTimePartition,
  ensureTimePartitions,
  findNewestBackup,
  listTimePartitions,
} from "@accounts/db";
import type { SchedulerConfig } from "../config.ts";
import type { MaintenanceMetrics } from "../metrics.ts";
import { daysCoveredAhead, type PartitionRange, planPartitionDrops, rangeOf } from "./partitionPlan.ts";
import type { TaskRunner } from "./task.ts";

export interface PartitionsTaskDeps {
  db: Db;
  metrics: MaintenanceMetrics;
  config: Pick<
    SchedulerConfig,
    | "PARTITION_DAYS_AHEAD"
    | "PARTITION_MONTHS_AHEAD"
    | "OPERATIONS_RETENTION_DAYS"
    | "LEDGER_RETENTION_MONTHS"
    | "PARTITION_LOCK_TIMEOUT_SECONDS"
  >;
}

/** The time partitions that exist now, with their ranges (names the scheduler does not make are left out). */
export async function partitionRanges(db: Db): Promise<PartitionRange[]> {
  return (await listTimePartitions(db)).map(rangeOf).filter((r): r is PartitionRange => r !== undefined);
}

/** Publishes how far ahead partitions exist (the `PartitionsNotCreatedAhead` alert watches it). */
export function publishCoverage(metrics: MaintenanceMetrics, ranges: readonly PartitionRange[], now: Date) {
  const coverage = {
    operations: round(daysCoveredAhead(ranges, "operations", now)),
    ledger_entries: round(daysCoveredAhead(ranges, "ledger_entries", now)),
  };
  for (const [table, days] of Object.entries(coverage)) metrics.partitionsDaysAhead.set({ table }, days);
  return coverage;
}

/**
 * `partitions`: creates the partitions of the coming days and months, then drops the expired ones
 * that the newest successful backup holds (see planPartitionDrops). A partition whose lock cannot be
 * had within PARTITION_LOCK_TIMEOUT_SECONDS is left for the next run, and this run fails naming it.
 */
export function partitionsTask(deps: PartitionsTaskDeps): TaskRunner {
  const { config } = deps;
  return async ({ now, log }) => {
    const at = now();
    const created = await ensureTimePartitions(deps.db, {
      daysAhead: config.PARTITION_DAYS_AHEAD,
      monthsAhead: config.PARTITION_MONTHS_AHEAD,
      from: at,
    });
    const backup = await findNewestBackup(deps.db);
    const plan = planPartitionDrops(await partitionRanges(deps.db), {
      now: at,
      operationsRetentionDays: config.OPERATIONS_RETENTION_DAYS,
      ledgerRetentionMonths: config.LEDGER_RETENTION_MONTHS,
      newestBackupAt: backup?.startedAt,
    });
    const dropped: string[] = [];
    const errors: { partition: string; error: string }[] = [];
    for (const range of plan.drop) {
      try {
        const gone = await dropTimePartition(deps.db, {
          parent: range.parent,
          name: range.name,
          lockTimeoutMs: config.PARTITION_LOCK_TIMEOUT_SECONDS * 1000,
        });
        if (gone) dropped.push(range.name);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.warn({ partition: range.name, err: error }, "could not drop partition; the next run tries again");
        errors.push({ partition: range.name, error: message });
      }
    }
    if (dropped.length > 0) log.info({ dropped }, "expired partitions dropped");
    const coverage = publishCoverage(deps.metrics, await partitionRanges(deps.db), at);
    const held = plan.heldForBackup.map((r) => r.name);
    return {
      ok: errors.length === 0,
      details: {
        now: at.toISOString(),
        created,
        dropped,
        heldForBackup: held,
        newestBackupAt: backup?.startedAt.toISOString() ?? null,
        ...(backup === undefined && held.length > 0
          ? { note: "no successful backup exists: no expired partition was dropped" }
          : {}),
        operationsRetentionDays: config.OPERATIONS_RETENTION_DAYS,
        ledgerRetentionMonths: config.LEDGER_RETENTION_MONTHS ?? "never dropped",
        daysAhead: coverage,
        ...(errors.length > 0
          ? { errors, error: `could not drop ${errors.map((e) => e.partition).join(", ")}` }
          : {}),
      },
    };
  };
}

function round(days: number): number {
  return Math.round(days * 1000) / 1000;
}
