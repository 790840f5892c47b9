import type { ArchiverStatus } from "@accounts/db";

/** How far the WAL archive is behind the server. */
export interface ArchiveBacklog {
  /**
   * Finished WAL segments not archived yet (the one being written is not counted). Null when it
   * cannot be told: on a standby, or across a timeline switch.
   */
  pendingSegments: number | null;
  /**
   * 0 while nothing finished is waiting; else how long the archive has not moved: the time since the
   * last successful archive (or since the server started, when nothing was ever archived). What a
   * lost server would lose grows with it: the RPO of the moment is about this plus archive_timeout.
   */
  lagSeconds: number | null;
}

const WAL_FILE = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})/;

/**
 * The position of a WAL file in the WAL stream: its timeline and segment number. The name is
 * timeline, "log" and segment in hex; a log holds 4 GiB of WAL, i.e. 256 segments of 16 MiB.
 *
 * @example
 * walSegmentOf("0000000100000002000000A3", 16 * 1024 * 1024) // { timeline: 1, segment: 675 }
 * walSegmentOf("00000002.history", 16 * 1024 * 1024) // undefined
 */
export function walSegmentOf(
  name: string,
  segmentBytes: number,
): { timeline: number; segment: number } | undefined {
  const match = WAL_FILE.exec(name);
  if (!match) return undefined;
  const [, timeline, log, segment] = match as unknown as [string, string, string, string];
  const perLog = 0x1_0000_0000 / segmentBytes;
  return {
    timeline: Number.parseInt(timeline, 16),
    segment: Number.parseInt(log, 16) * perLog + Number.parseInt(segment, 16),
  };
}

/**
 * The archive's backlog from the archiver's status. A segment counts as pending once the server
 * moved on to a later one: `archive_timeout` makes that happen even on a quiet server. Unknown (null)
 * on a standby and across a timeline switch (right after a promotion, until the new timeline's first
 * segment is archived).
 *
 * @example
 * archiveBacklogOf({ currentWal: "0000000100000000000000A5", lastArchivedWal: "0000000100000000000000A2",
 *   lastArchivedAt: tenMinutesAgo, now, ... }) // { pendingSegments: 2, lagSeconds: 600 }
 */
export function archiveBacklogOf(status: ArchiverStatus): ArchiveBacklog {
  const unknown = { pendingSegments: null, lagSeconds: null };
  const current = status.currentWal ? walSegmentOf(status.currentWal, status.walSegmentBytes) : undefined;
  if (!current) return unknown;
  const secondsSince = (at: Date) => Math.max(0, Math.round((status.now.getTime() - at.getTime()) / 1000));
  if (status.lastArchivedWal === null || status.lastArchivedAt === null) {
    // Nothing archived since the server (or its statistics) started: a lag only once an attempt failed.
    return {
      pendingSegments: null,
      lagSeconds: status.failedCount > 0 ? secondsSince(status.serverStartedAt) : 0,
    };
  }
  const archived = walSegmentOf(status.lastArchivedWal, status.walSegmentBytes);
  if (!archived || archived.timeline !== current.timeline) return unknown;
  const pendingSegments = Math.max(0, current.segment - archived.segment - 1);
  return { pendingSegments, lagSeconds: pendingSegments === 0 ? 0 : secondsSince(status.lastArchivedAt) };
}
