import { table } from "../loadKit/textTable.ts";
import type { RunCheck } from "./checkRun.ts";
import { FAULT_KINDS, type InjectedFault } from "./faultInjector.ts";
import type { OperationRecord } from "./faultLoad.ts";

export interface RunSummary {
  faults: readonly InjectedFault[];
  records: readonly OperationRecord[];
  attempts: ReadonlyMap<string, number>;
  check: RunCheck;
  seconds: number;
}

/** Every way the run can fail, as lines; empty when it passed. */
export function failuresOf(summary: RunSummary): string[] {
  const { verdict, invariants, orphanEntries } = summary.check;
  const problems: string[] = [];
  const list = (what: string, items: readonly string[]) => {
    if (items.length > 0) problems.push(`${items.length} ${what}: ${items.slice(0, 10).join("; ")}`);
  };
  list("lost", verdict.lost);
  list("duplicated", verdict.duplicated);
  list("partially applied", verdict.partial);
  list("stored under another id than acknowledged", verdict.wrongId);
  list("out of sequence", verdict.outOfOrder);
  list("stray operations", verdict.stray);
  const unsettled = summary.records.filter((r) => r.retried && r.outcome !== "acknowledged");
  list(
    "retried submissions never acknowledged",
    unsettled.map((r) => `${r.lid} (last ${r.last} after ${r.attempts} attempts)`),
  );
  if (orphanEntries > 0) problems.push(`${orphanEntries} ledger entries without their operation row`);
  if (!invariants.ok) {
    problems.push(
      `reconcile found ${invariants.violationCount} violations: ${invariants.violations
        .slice(0, 5)
        .map((v) => `${v.kind} ${v.userId ?? ""}/${v.currency} ${v.detail}`)
        .join("; ")}`,
    );
  }
  const internal = (summary.attempts.get("500") ?? 0) + (summary.attempts.get("GET 500") ?? 0);
  if (internal > 0) problems.push(`${internal} answers were 500 (an outage must be a 503, docs/api.md)`);
  return problems;
}

/** The table the suite prints: faults by kind, then what became of the operations. */
export function renderReport(summary: RunSummary): string {
  const { verdict, invariants } = summary.check;
  const faultRows: (string | number)[][] = [
    ["fault (kill -9)", "injected", "avg down ms", "max recovery ms"],
  ];
  for (const kind of FAULT_KINDS) {
    const of = summary.faults.filter((f) => f.kind === kind);
    if (of.length === 0) continue;
    const avgDown = Math.round(of.reduce((s, f) => s + f.downMs, 0) / of.length);
    faultRows.push([kind, of.length, avgDown, Math.max(...of.map((f) => f.recoveryMs))]);
  }
  faultRows.push(["total", summary.faults.length, "", ""]);

  const opRows = [
    ["acknowledged", "applied", "rejected", "lost", "duplicated", "partial", "out of order"],
    [
      verdict.acknowledged,
      verdict.applied,
      verdict.rejected,
      verdict.lost.length,
      verdict.duplicated.length,
      verdict.partial.length,
      verdict.outOfOrder.length,
    ],
  ];
  const unacked = summary.records.filter((r) => r.outcome !== "acknowledged").length;
  const attempts = [...summary.attempts].sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    table(faultRows),
    "",
    table(opRows),
    "",
    `not acknowledged and not retried: ${unacked} (applied whole: ${verdict.unacknowledgedApplied}, ` +
      `absent: ${verdict.unacknowledgedAbsent}, half applied: 0 unless listed as partial)`,
    `answers: ${attempts.map(([label, n]) => `${label} ${n}`).join(", ")}`,
    `reconcile (checkLedgerInvariants): ${invariants.ok ? "ok" : `${invariants.violationCount} violations`} ` +
      `over ${invariants.accountsChecked} accounts`,
    `duration: ${Math.round(summary.seconds)} s`,
  ].join("\n");
}
