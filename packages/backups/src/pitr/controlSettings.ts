import { join } from "node:path";
import type { PostgresBinaries, SystemAccount } from "@accounts/devstack";
import { runProgram } from "../program.ts";

/**
 * The settings a server replaying another's WAL must have at least as high as that server had: with
 * lower ones PostgreSQL aborts the recovery ("recovery aborted because of insufficient parameter
 * settings"). pg_controldata reads them from the restored folder's pg_control.
 */
const REQUIRED: Record<string, string> = {
  "max_connections setting": "max_connections",
  "max_worker_processes setting": "max_worker_processes",
  "max_wal_senders setting": "max_wal_senders",
  "max_prepared_xacts setting": "max_prepared_transactions",
  "max_locks_per_xact setting": "max_locks_per_transaction",
};

/**
 * The server settings named in `pg_controldata` output that recovery requires.
 *
 * @example
 * requiredRecoverySettings("max_connections setting:   500\nmax_worker_processes setting: 16\n...")
 * // { max_connections: "500", max_worker_processes: "16", ... }
 */
export function requiredRecoverySettings(controldata: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of controldata.split("\n")) {
    const match = /^([^:]+):\s+(\d+)\s*$/.exec(line);
    const name = match ? REQUIRED[match[1]?.trim() ?? ""] : undefined;
    if (match && name) settings[name] = match[2] as string;
  }
  return settings;
}

/** Runs pg_controldata (beside initdb) on a restored folder as the server's account. */
export async function readRecoverySettings(
  dataDir: string,
  binaries: PostgresBinaries,
  runAs: SystemAccount | undefined,
): Promise<Record<string, string>> {
  const program = join(binaries.initdb, "..", "pg_controldata");
  const { stdout } = await runProgram(program, [dataDir], {
    runAs,
    timeoutMs: 60_000,
    env: { LANG: "C", LC_ALL: "C" },
  });
  return requiredRecoverySettings(stdout);
}
