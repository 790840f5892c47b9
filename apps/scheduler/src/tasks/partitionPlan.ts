import type { TimePartition, TimePartitionedTable } from "@accounts/db";

const DAY_MS = 86_400_000;
const DAILY = /^operations_(\d{4})(\d{2})(\d{2})$/;
const MONTHLY = /^ledger_entries_(\d{4})(\d{2})$/;

/** A time partition with the range its name gives: rows with `from <= time < to`. */
export interface PartitionRange extends TimePartition {
  from: Date;
  to: Date;
}

export interface DropRules {
  now: Date;
  /** Daily partitions of operations that ended this many days before `now` are expired. */
  operationsRetentionDays: number;
  /** Monthly partitions of ledger entries that ended this many months before `now` are expired; unset: never. */
  ledgerRetentionMonths?: number | undefined;
  /** Start of the newest successful backup; nothing that ended after it is dropped. Unset: no backup. */
  newestBackupAt?: Date | undefined;
}

export interface DropPlan {
  /** Expired and held by a backup: drop them. */
  drop: PartitionRange[];
  /** Expired, but some of their rows may be in no backup yet: kept until a newer backup exists. */
  heldForBackup: PartitionRange[];
}

/**
 * The range of a partition from its name, or undefined for a name `ensure_time_partitions` does not
 * make (such a partition is never touched).
 *
 * @example
 * rangeOf({ parent: "operations", name: "operations_20261127", detachPending: false })
 * // { ..., from: 2026-11-27T00:00:00.000Z, to: 2026-11-28T00:00:00.000Z }
 */
export function rangeOf(partition: TimePartition): PartitionRange | undefined {
  if (partition.parent === "operations") {
    const m = DAILY.exec(partition.name);
    if (!m) return undefined;
    const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    if (from.toISOString().slice(0, 10).replaceAll("-", "") !== partition.name.slice(-8)) return undefined;
    return { ...partition, from, to: new Date(from.getTime() + DAY_MS) };
  }
  const m = MONTHLY.exec(partition.name);
  const month = Number(m?.[2]);
  if (!m || month < 1 || month > 12) return undefined;
  const from = new Date(Date.UTC(Number(m[1]), month - 1, 1));
  return { ...partition, from, to: new Date(Date.UTC(Number(m[1]), month, 1)) };
}

/**
 * Which partitions to drop: the expired ones (past the retention of their table) that ended before
 * the newest successful backup started, so every row dropped is in a backup. Without any backup,
 * nothing is dropped. Ledger entries expire only when a retention is configured for them.
 *
 * @example
 * planPartitionDrops(ranges, { now, operationsRetentionDays: 30, newestBackupAt })
 * // { drop: [operations_20261020, ...], heldForBackup: [] }
 */
export function planPartitionDrops(ranges: readonly PartitionRange[], rules: DropRules): DropPlan {
  const plan: DropPlan = { drop: [], heldForBackup: [] };
  const operationsCutoff = rules.now.getTime() - rules.operationsRetentionDays * DAY_MS;
  const ledgerCutoff =
    rules.ledgerRetentionMonths === undefined
      ? undefined
      : monthsBefore(rules.now, rules.ledgerRetentionMonths);
  for (const range of ranges) {
    const cutoff = range.parent === "operations" ? operationsCutoff : ledgerCutoff;
    if (cutoff === undefined || range.to.getTime() > cutoff) continue;
    if (rules.newestBackupAt && range.to.getTime() <= rules.newestBackupAt.getTime()) plan.drop.push(range);
    else plan.heldForBackup.push(range);
  }
  return plan;
}

/**
 * Days from `now` to the end of the partitions of `parent` that follow each other without a gap from
 * the one holding `now` (0 when `now` itself has no partition): what an alert checks to know that
 * inserts will find a partition tomorrow.
 *
 * @example
 * daysCoveredAhead(ranges, "operations", new Date("2026-11-27T12:00:00Z")) // 7.5 (partitions up to 2026-12-05)
 */
export function daysCoveredAhead(
  ranges: readonly PartitionRange[],
  parent: TimePartitionedTable,
  now: Date,
): number {
  const sorted = ranges
    .filter((r) => r.parent === parent && !r.detachPending)
    .sort((a, b) => +a.from - +b.from);
  let covered = now.getTime();
  let reached = false;
  for (const range of sorted) {
    if (range.from.getTime() <= covered && range.to.getTime() > covered) {
      covered = range.to.getTime();
      reached = true;
    }
  }
  return reached ? (covered - now.getTime()) / DAY_MS : 0;
}

/** The same instant `months` calendar months earlier (clamped to the month's last day). */
function monthsBefore(now: Date, months: number): number {
  const target = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(now.getUTCDate(), lastDay));
  target.setUTCHours(now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds());
  return target.getTime();
}
