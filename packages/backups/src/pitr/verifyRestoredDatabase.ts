import {
  type CountedTable,
  checkLedgerInvariants,
  closeInterruptedRuns,
  countTableRows,
  createDb,
  createPool,
  type Db,
  findLastAppliedOperation,
  type InvariantReport,
  type LastOperation,
} from "@accounts/db";
import { databaseUrl } from "@accounts/devstack";
import pg from "pg";
import { RestoreRefusedError } from "../errors.ts";

export interface RestoredDatabaseReport {
  /** The reconcile checks: currency sums zero, total = available + reserved, entries sum to balances... */
  invariants: InvariantReport;
  /** The last operation whose result the restored database holds (none: an empty ledger). */
  lastOperation: LastOperation | null;
  counts: Record<CountedTable, number>;
  /** Maintenance runs in progress at the target, closed as failed (they can never finish there). */
  closedRuns: number;
  verifyMs: number;
}

/**
 * Checks a restored (promoted) cluster's accounts database: it exists, the ledger invariants hold,
 * and which operation was applied last. `record` runs while the database is open (the audit row).
 *
 * @example
 * const report = await verifyRestoredDatabase(server.url, "accounts");
 * report.invariants.ok // true
 * @throws RestoreRefusedError when the cluster has no such database (naming those it has)
 */
export async function verifyRestoredDatabase(
  serverUrl: string,
  database: string,
  record?: (db: Db) => Promise<void>,
): Promise<RestoredDatabaseReport> {
  const started = performance.now();
  const names = await databaseNames(serverUrl);
  if (!names.includes(database)) {
    throw new RestoreRefusedError(
      `the restored cluster has no database "${database}" (it has ${names.join(", ") || "none"}): pass --database NAME`,
    );
  }
  const db = createDb(
    createPool(databaseUrl(serverUrl, database), { max: 2, applicationName: "accounts-restore" }),
  );
  try {
    const closedRuns = await closeInterruptedRuns(
      db,
      "in progress at the point-in-time restore's target; closed by the restore",
    );
    const invariants = await checkLedgerInvariants(db, { limit: 20 });
    const lastOperation = (await findLastAppliedOperation(db)) ?? null;
    const counts = await countTableRows(db);
    await record?.(db);
    return {
      invariants,
      lastOperation,
      counts,
      closedRuns,
      verifyMs: Math.round(performance.now() - started),
    };
  } finally {
    await db.destroy();
  }
}

async function databaseNames(serverUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' ORDER BY datname",
    );
    return rows.map((row) => row.datname);
  } finally {
    await client.end().catch(() => {});
  }
}
