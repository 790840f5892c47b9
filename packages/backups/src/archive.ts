import { BackupVerificationError, ProgramFailedError } from "./errors.ts";
import type { PgTools } from "./pgTools.ts";
import { runProgram } from "./program.ts";

/** A table of contents is about 100 bytes per object; 16 MiB is far more than this schema has. */
const LISTING_BYTES = 16 * 1024 * 1024;

export interface ArchiveListing {
  /** Entries in the archive's table of contents. */
  entries: number;
  /** Tables whose data it holds (`TABLE DATA` entries), e.g. `accounts_p00`, `operations_20261127`. */
  tablesWithData: string[];
}

/**
 * Reads a custom-format archive's table of contents with `pg_restore --list`: proof that the file
 * is a complete archive pg_restore can read (a truncated or foreign file fails here).
 *
 * @example
 * await listArchive(tools, "/backups/accounts-20261127T060000.000Z.dump")
 * // { entries: 212, tablesWithData: ["accounts_p00", ..., "currencies", "ledger_entries_202611", ...] }
 * @throws BackupVerificationError "... is not a readable backup: pg_restore: error: ..."
 */
export async function listArchive(tools: PgTools, path: string): Promise<ArchiveListing> {
  let stdout: string;
  try {
    stdout = (
      await runProgram(tools.pgRestore, ["--list", path], {
        timeoutMs: 10 * 60_000,
        keepBytes: LISTING_BYTES,
      })
    ).stdout;
  } catch (error) {
    const why = error instanceof ProgramFailedError ? error.output : String(error);
    throw new BackupVerificationError(`${path} is not a readable backup: ${why}`);
  }
  const lines = stdout.split("\n").filter((line) => line && !line.startsWith(";"));
  const tablesWithData = lines
    .map((line) => / TABLE DATA \S+ (\S+) /.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  if (lines.length === 0) throw new BackupVerificationError(`${path} holds no archive entries`);
  return { entries: lines.length, tablesWithData };
}
