/** What a recovering server's log says about its progress and how recovery ended. */
export interface RecoveryLog {
  /** WAL segments fetched from the archive (`restored log file ... from archive`). */
  segmentsRestored: number;
  lastSegment: string | null;
  /** The backup's end was replayed: from here on the data is consistent. */
  consistent: boolean;
  /** Where a time target stopped replay: `before commit of transaction 726, time 2026-12-02 10:15:00.01+00`. */
  stoppedAt: string | null;
  /** The commit time of the last transaction replayed (`last completed transaction was at log time ...`). */
  lastTransactionAt: string | null;
  /** The timeline the restored server continues on after its promotion. */
  newTimeline: number | null;
  /** `archive recovery complete`: the server left recovery. */
  recoveryComplete: boolean;
  /**
   * Why the server gave up: the last FATAL or PANIC of the server itself (with its DETAIL), not the
   * "starting up" refusals of connection attempts.
   */
  fatal: string | null;
}

/** What a connection attempt is told while the server recovers: not why recovery failed. */
const CONNECTION_REFUSALS =
  /the database system is (starting up|not yet accepting connections|shutting down|in recovery mode)/;

/**
 * Reads the lines PostgreSQL logs during an archive recovery (PostgreSQL 13 and later wording).
 *
 * @example
 * parseRecoveryLog(['... LOG:  restored log file "000000010000000000000004" from archive',
 *   "... LOG:  recovery stopping before commit of transaction 726, time 2026-12-02 05:51:51.786389+00"])
 * // { segmentsRestored: 1, lastSegment: "000000010000000000000004",
 * //   stoppedAt: "before commit of transaction 726, time 2026-12-02 05:51:51.786389+00", ... }
 */
export function parseRecoveryLog(lines: readonly string[]): RecoveryLog {
  const log: RecoveryLog = {
    segmentsRestored: 0,
    lastSegment: null,
    consistent: false,
    stoppedAt: null,
    lastTransactionAt: null,
    newTimeline: null,
    recoveryComplete: false,
    fatal: null,
  };
  let detailFor = false;
  for (const line of lines) {
    const restored = /restored log file "([0-9A-F]{24})" from archive/.exec(line);
    if (restored) {
      log.segmentsRestored += 1;
      log.lastSegment = restored[1] ?? null;
      continue;
    }
    if (/consistent recovery state reached/.test(line)) log.consistent = true;
    const stopping = /recovery stopping (.+)$/.exec(line);
    if (stopping) log.stoppedAt = stopping[1]?.trim() ?? null;
    const last = /last completed transaction was at log time (.+)$/.exec(line);
    if (last) log.lastTransactionAt = last[1]?.trim() ?? null;
    const timeline = /selected new timeline ID: (\d+)/.exec(line);
    if (timeline) log.newTimeline = Number(timeline[1]);
    if (/archive recovery complete/.test(line)) log.recoveryComplete = true;
    const fatal = /(?:FATAL|PANIC):\s+(.+)$/.exec(line);
    if (fatal && !CONNECTION_REFUSALS.test(line)) {
      log.fatal = fatal[1]?.trim() ?? null;
      detailFor = true;
      continue;
    }
    const detail = /DETAIL:\s+(.+)$/.exec(line);
    if (detail && detailFor && log.fatal !== null) log.fatal = `${log.fatal} (${detail[1]?.trim()})`;
    detailFor = false;
  }
  return log;
}
