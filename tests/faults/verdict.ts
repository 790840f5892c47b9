import type { OperationRecord } from "./faultLoad.ts";

/** An operation row of the run, with how many ledger entries carry its id. */
export interface StoredOperation {
  id: string;
  /** `metadata.lid`: the caller's logical operation. */
  lid: string;
  status: string;
  entries: number;
  /**
   * Set on a second id of the same Idempotency-Key that PostgreSQL refused to apply
   * (`duplicate_idempotency_key`, docs/adr/0008): the id applied first. Such a row is not a second
   * application.
   */
  duplicateOf?: string | null;
}

/** One account's entry written by an operation that carries that account's sequence number. */
export interface SequencedEntry {
  userId: string;
  currency: string;
  version: number;
  seq: number;
}

export interface Verdict {
  acknowledged: number;
  applied: number;
  rejected: number;
  /** Acknowledged, but no operation row after the drain. */
  lost: string[];
  /** More than one operation row for one logical operation. */
  duplicated: string[];
  /** Applied with another number of entries than its postings make (half or doubly applied). */
  partial: string[];
  /** The acknowledging answer named another id than the one stored. */
  wrongId: string[];
  /** Not acknowledged (refused or no answer, not retried): applied whole, or not at all. */
  unacknowledgedApplied: number;
  unacknowledgedAbsent: number;
  /** Entries of an account whose sequence numbers go backwards. */
  outOfOrder: string[];
  /** Operation rows of this run that no caller submitted. */
  stray: string[];
  /** Second ids of one key that PostgreSQL refused to apply (rejected as duplicates, not applied). */
  duplicateIdsRefused: number;
}

/**
 * Judges a fault run from what the callers saw and what the ledger holds: every acknowledged
 * operation stored exactly once, applied whole or rejected, under the id it was acknowledged with;
 * unacknowledged ones whole or absent; each account's entries in its sequence order.
 *
 * @example
 * const verdict = judgeRun(load.records, await readStoredOperations(db, runId), await readSequencedEntries(db, runId));
 * verdict.lost.length === 0 && verdict.duplicated.length === 0
 */
export function judgeRun(
  records: readonly OperationRecord[],
  stored: readonly StoredOperation[],
  entries: readonly SequencedEntry[],
): Verdict {
  const byLid = new Map<string, StoredOperation[]>();
  for (const row of stored) {
    const rows = byLid.get(row.lid) ?? [];
    rows.push(row);
    byLid.set(row.lid, rows);
  }
  const verdict: Verdict = {
    acknowledged: 0,
    applied: 0,
    rejected: 0,
    lost: [],
    duplicated: [],
    partial: [],
    wrongId: [],
    unacknowledgedApplied: 0,
    unacknowledgedAbsent: 0,
    outOfOrder: [],
    stray: [],
    duplicateIdsRefused: 0,
  };
  const known = new Set<string>();
  for (const record of records) {
    known.add(record.lid);
    const all = byLid.get(record.lid) ?? [];
    const refused = all.filter((row) => row.duplicateOf);
    const rows = all.filter((row) => !row.duplicateOf);
    verdict.duplicateIdsRefused += refused.length;
    if (rows.length > 1) verdict.duplicated.push(`${record.lid}: ${rows.map((r) => r.id).join(", ")}`);
    for (const row of rows) {
      const expected = row.status === "applied" ? record.entries : 0;
      if (row.entries !== expected) {
        verdict.partial.push(
          `${record.lid} (${row.id}, ${row.status}): ${row.entries} entries, not ${expected}`,
        );
      }
    }
    const row = rows[0];
    if (record.outcome !== "acknowledged") {
      if (row) verdict.unacknowledgedApplied += 1;
      else verdict.unacknowledgedAbsent += 1;
      continue;
    }
    verdict.acknowledged += 1;
    if (!row) {
      verdict.lost.push(`${record.lid} (${record.id ?? "no id"}, ${record.type}, last ${record.last})`);
      continue;
    }
    if (row.status === "applied") verdict.applied += 1;
    else if (row.status === "rejected") verdict.rejected += 1;
    // An acknowledged second id that PostgreSQL refused names the applied one: the same operation.
    const named = rows.some((r) => r.id === record.id) || refused.some((r) => r.id === record.id);
    if (record.id !== undefined && !named) {
      verdict.wrongId.push(`${record.lid}: acknowledged as ${record.id}, stored as ${row.id}`);
    }
  }
  for (const [lid, rows] of byLid) {
    if (!known.has(lid)) verdict.stray.push(`${lid}: ${rows.map((r) => r.id).join(", ")}`);
  }
  verdict.outOfOrder = sequenceViolations(entries);
  return verdict;
}

/** Per account (user, currency) in version order, the sequence numbers must only go up. */
function sequenceViolations(entries: readonly SequencedEntry[]): string[] {
  const sorted = [...entries].sort(
    (a, b) =>
      compare(a.userId, b.userId) ||
      compare(a.currency, b.currency) ||
      a.version - b.version ||
      a.seq - b.seq,
  );
  const violations: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1] as SequencedEntry;
    const entry = sorted[i] as SequencedEntry;
    if (before.userId !== entry.userId || before.currency !== entry.currency) continue;
    if (entry.seq <= before.seq && !(entry.seq === before.seq && entry.version === before.version)) {
      violations.push(
        `${entry.userId}/${entry.currency}: seq ${entry.seq} at version ${entry.version} after seq ${before.seq} at version ${before.version}`,
      );
    }
  }
  return violations;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
