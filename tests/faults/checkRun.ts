import { checkLedgerInvariants, createDb, createPool, type InvariantReport } from "@accounts/db";
import type { Catalog } from "@accounts/queue";
import { waitFor } from "@accounts/tests/harness";
import { Redis } from "ioredis";
import { partitionDepths, totalDepth } from "../loadKit/queueDepth.ts";
import type { OperationRecord } from "./faultLoad.ts";
import { judgeRun, type SequencedEntry, type StoredOperation, type Verdict } from "./verdict.ts";

/**
 * Waits until every partition queue is empty (nothing waiting, active, delayed or paused), twice in
 * a row a second apart: after that, nothing more will be applied. Jobs of a killed worker count as
 * active until they are found stalled and run again, so this also waits for that recovery.
 */
export async function waitForDrain(redisUrl: string, catalog: Catalog, timeoutMs: number): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let emptyChecks = 0;
  try {
    await waitFor(
      async () => {
        const depth = totalDepth(await partitionDepths(redis, catalog));
        emptyChecks = depth === 0 ? emptyChecks + 1 : 0;
        return emptyChecks >= 2;
      },
      { timeoutMs, intervalMs: 1_000, message: "every partition queue drained" },
    );
  } finally {
    redis.disconnect();
  }
}

export interface RunCheck {
  verdict: Verdict;
  invariants: InvariantReport;
  /** Ledger entries whose operation row does not exist (a half-written operation). */
  orphanEntries: number;
  /** Ids of the run's operation rows. */
  storedIds: string[];
}

/**
 * Reads what the ledger holds for run `runId` (operation rows by `metadata.lid` with their entry
 * counts, and the entries of each account's own sequenced operations) and judges it against the
 * callers' records; then runs the full reconcile (`checkLedgerInvariants`).
 */
export async function checkRun(
  databaseUrl: string,
  runId: string,
  records: readonly OperationRecord[],
): Promise<RunCheck> {
  const pool = createPool(databaseUrl, { max: 2, applicationName: "fault-checker" });
  const db = createDb(pool);
  try {
    const stored = await pool.query<StoredOperation>(
      `WITH run AS (
         SELECT id, status, request::jsonb->'metadata'->>'lid' AS lid,
                rejection::jsonb->>'duplicateOf' AS "duplicateOf"
         FROM operations WHERE request::jsonb->'metadata'->>'run' = $1
       ), counted AS (
         SELECT operation_id, count(*)::int AS entries FROM ledger_entries
         WHERE operation_id IN (SELECT id FROM run) GROUP BY operation_id
       )
       SELECT run.id, run.lid, run.status, run."duplicateOf", coalesce(counted.entries, 0) AS entries
       FROM run LEFT JOIN counted ON counted.operation_id = run.id`,
      [runId],
    );
    const sequenced = await pool.query<SequencedEntry>(
      `SELECT e.user_id AS "userId", e.currency, e.version::int AS version,
              (o.request::jsonb->'metadata'->>'seq')::int AS seq
       FROM ledger_entries e JOIN operations o ON o.id = e.operation_id
       WHERE o.request::jsonb->'metadata'->>'run' = $1
         AND o.request::jsonb->'metadata'->>'acct' = e.user_id
       GROUP BY 1, 2, 3, 4`,
      [runId],
    );
    const orphans = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger_entries e
       WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = e.operation_id)`,
    );
    return {
      verdict: judgeRun(records, stored.rows, sequenced.rows),
      invariants: await checkLedgerInvariants(db, { limit: 20 }),
      orphanEntries: orphans.rows[0]?.n ?? 0,
      storedIds: stored.rows.map((row) => row.id),
    };
  } finally {
    await db.destroy();
  }
}
