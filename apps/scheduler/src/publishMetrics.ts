import { type Db, findLatestRuns } from "@accounts/db";
import { MAINTENANCE_TASKS, type MaintenanceTask } from "@accounts/queue";
import type { MaintenanceMetrics } from "./metrics.ts";
import { partitionRanges, publishCoverage } from "./tasks/partitions.ts";

/**
 * Sets the gauges from the database: the end of each task's latest successful run, the size of the
 * latest backup, the latest reconcile's result and how far ahead partitions exist. Run at start and
 * periodically, so that every replica reports them, also after a restart and for runs made by
 * another replica or by `npm run ctl -- backup` (alerts take the max over replicas).
 */
export async function publishMetricsFromDatabase(
  db: Db,
  metrics: MaintenanceMetrics,
  now: Date,
): Promise<void> {
  const tasks = new Set<string>(MAINTENANCE_TASKS);
  for (const run of await findLatestRuns(db, { succeededOnly: true })) {
    if (!tasks.has(run.task) || !run.finished_at) continue;
    metrics.lastSuccess.set({ task: run.task as MaintenanceTask }, run.finished_at.getTime() / 1000);
    if (run.task === "backup" && typeof run.details.sizeBytes === "number") {
      metrics.backupSizeBytes.set(run.details.sizeBytes);
    }
  }
  const reconcile = (await findLatestRuns(db)).find((run) => run.task === "reconcile");
  if (reconcile) {
    const mismatches = reconcile.details.mismatches;
    if (typeof mismatches === "number") metrics.reconcileMismatches.set(mismatches);
    metrics.reconcileOk.set(reconcile.status === "succeeded" && mismatches === 0 ? 1 : 0);
  }
  publishCoverage(metrics, await partitionRanges(db), now);
}
