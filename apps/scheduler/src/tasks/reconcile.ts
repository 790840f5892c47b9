import { checkLedgerInvariants, type Db } from "@accounts/db";
import type { MaintenanceMetrics } from "../metrics.ts";
import type { TaskRunner } from "./task.ts";

/**
 * `reconcile`: the full-scan ledger invariants (currency sums zero, total = available + reserved, no
 * negative user bucket, entries sum to balances, versions count operations). Publishes the number of
 * mismatches and ok/not ok; names the first `limit` mismatching accounts; fails the run when any exist,
 * so that it alerts. A check that cannot run at all also sets `accounts_reconcile_ok` to 0.
 */
export function reconcileTask(deps: { db: Db; metrics: MaintenanceMetrics; limit: number }): TaskRunner {
  return async ({ log }) => {
    const started = performance.now();
    let report: Awaited<ReturnType<typeof checkLedgerInvariants>>;
    try {
      report = await checkLedgerInvariants(deps.db, { limit: deps.limit });
    } catch (error) {
      deps.metrics.reconcileOk.set(0);
      throw error;
    }
    deps.metrics.reconcileMismatches.set(report.violationCount);
    deps.metrics.reconcileOk.set(report.ok ? 1 : 0);
    if (!report.ok) {
      log.error(
        { mismatches: report.violationCount, first: report.violations.slice(0, 5) },
        "reconcile found ledger mismatches",
      );
    }
    return {
      ok: report.ok,
      details: {
        ok: report.ok,
        mismatches: report.violationCount,
        accountsChecked: report.accountsChecked,
        mismatching: report.violations,
        checkMs: Math.round(performance.now() - started),
        ...(report.ok ? {} : { error: `${report.violationCount} ledger invariant violation(s)` }),
      },
    };
  };
}
