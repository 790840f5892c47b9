import type { TimePartition } from "@accounts/db";
import { describe, expect, it } from "vitest";
import { daysCoveredAhead, type PartitionRange, planPartitionDrops, rangeOf } from "./partitionPlan.ts";

const ops = (day: string): TimePartition => ({
  parent: "operations",
  name: `operations_${day}`,
  detachPending: false,
});
const ledger = (month: string): TimePartition => ({
  parent: "ledger_entries",
  name: `ledger_entries_${month}`,
  detachPending: false,
});
const ranges = (...partitions: TimePartition[]) =>
  partitions.map(rangeOf).filter((r): r is PartitionRange => r !== undefined);
const names = (list: PartitionRange[]) => list.map((r) => r.name);

describe("rangeOf", () => {
  it("reads daily and monthly ranges from the names", () => {
    expect(rangeOf(ops("20261231"))).toMatchObject({
      from: new Date("2026-12-31T00:00:00Z"),
      to: new Date("2027-01-01T00:00:00Z"),
    });
    expect(rangeOf(ledger("202612"))).toMatchObject({
      from: new Date("2026-12-01T00:00:00Z"),
      to: new Date("2027-01-01T00:00:00Z"),
    });
  });

  it.each([
    ops("20261332"),
    ops("2026113"),
    ledger("202613"),
    { parent: "operations" as const, name: "operations_archive", detachPending: false },
    { parent: "operations" as const, name: "operations_20260230", detachPending: false },
  ])("leaves alone a partition it did not name: %j", (partition) => {
    expect(rangeOf(partition)).toBeUndefined();
  });
});

describe("planPartitionDrops", () => {
  const now = new Date("2026-11-27T10:00:00Z");
  const all = ranges(
    ops("20261026"),
    ops("20261027"),
    ops("20261028"),
    ops("20261127"),
    ledger("202608"),
    ledger("202609"),
    ledger("202611"),
  );

  it("drops operations partitions past the retention that the newest backup holds", () => {
    // 30 days before now is 2026-10-28T10:00: the day of 10-27 ended before it, 10-28 did not.
    const plan = planPartitionDrops(all, {
      now,
      operationsRetentionDays: 30,
      newestBackupAt: new Date("2026-11-27T06:00:00Z"),
    });
    expect(names(plan.drop)).toEqual(["operations_20261026", "operations_20261027"]);
    expect(plan.heldForBackup).toEqual([]);
  });

  it("never drops a partition that ended after the newest backup started", () => {
    const plan = planPartitionDrops(all, {
      now,
      operationsRetentionDays: 30,
      newestBackupAt: new Date("2026-10-27T12:00:00Z"),
    });
    expect(names(plan.drop)).toEqual(["operations_20261026"]);
    expect(names(plan.heldForBackup)).toEqual(["operations_20261027"]);
  });

  it("drops nothing without a backup", () => {
    const plan = planPartitionDrops(all, { now, operationsRetentionDays: 30, ledgerRetentionMonths: 1 });
    expect(plan.drop).toEqual([]);
    expect(names(plan.heldForBackup)).toEqual([
      "operations_20261026",
      "operations_20261027",
      "ledger_entries_202608",
      "ledger_entries_202609",
    ]);
  });

  it("keeps ledger entries unless a retention is configured, then counts calendar months", () => {
    const backupAt = new Date("2026-11-27T06:00:00Z");
    const without = planPartitionDrops(all, { now, operationsRetentionDays: 30, newestBackupAt: backupAt });
    expect(names(without.drop).filter((n) => n.startsWith("ledger"))).toEqual([]);
    // Two months before 2026-11-27 is 2026-09-27: August ended before it, September did not.
    const withRetention = planPartitionDrops(all, {
      now,
      operationsRetentionDays: 30,
      ledgerRetentionMonths: 2,
      newestBackupAt: backupAt,
    });
    expect(names(withRetention.drop).filter((n) => n.startsWith("ledger"))).toEqual([
      "ledger_entries_202608",
    ]);
  });
});

describe("daysCoveredAhead", () => {
  const now = new Date("2026-11-27T12:00:00Z");

  it("counts to the end of the partitions that follow today without a gap", () => {
    const list = ranges(ops("20261126"), ops("20261127"), ops("20261128"), ops("20261129"), ops("20261201"));
    expect(daysCoveredAhead(list, "operations", now)).toBe(2.5);
  });

  it("is 0 when today has no partition", () => {
    expect(daysCoveredAhead(ranges(ops("20261128")), "operations", now)).toBe(0);
  });

  it("works in months for the ledger", () => {
    expect(daysCoveredAhead(ranges(ledger("202611"), ledger("202612")), "ledger_entries", now)).toBe(34.5);
  });
});
