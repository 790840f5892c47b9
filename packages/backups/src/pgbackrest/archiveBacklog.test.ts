import type { ArchiverStatus } from "@accounts/db";
import { describe, expect, it } from "vitest";
import { archiveBacklogOf, walSegmentOf } from "./archiveBacklog.ts";

const MIB16 = 16 * 1024 * 1024;
const now = new Date("2026-12-02T10:00:00Z");
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

function status(overrides: Partial<ArchiverStatus>): ArchiverStatus {
  return {
    archiveMode: "on",
    archivedCount: 10,
    lastArchivedWal: "0000000100000000000000A2",
    lastArchivedAt: minutesAgo(10),
    failedCount: 0,
    lastFailedWal: null,
    lastFailedAt: null,
    currentWal: "0000000100000000000000A3",
    walSegmentBytes: MIB16,
    serverStartedAt: minutesAgo(60),
    now,
    ...overrides,
  };
}

describe("walSegmentOf", () => {
  it("reads timeline and segment number, 256 segments of 16 MiB per log", () => {
    expect(walSegmentOf("0000000100000002000000A3", MIB16)).toEqual({ timeline: 1, segment: 2 * 256 + 0xa3 });
    expect(walSegmentOf("0000000300000002000000A3", 64 * 1024 * 1024)).toEqual({
      timeline: 3,
      segment: 2 * 64 + 0xa3,
    });
    expect(walSegmentOf("0000000100000000000000A3.00000028.backup", MIB16)?.segment).toBe(0xa3);
    expect(walSegmentOf("00000002.history", MIB16)).toBeUndefined();
  });
});

describe("archiveBacklogOf", () => {
  it("has no backlog while only the segment being written is unarchived, however long ago the last archive", () => {
    expect(archiveBacklogOf(status({}))).toEqual({ pendingSegments: 0, lagSeconds: 0 });
  });

  it("counts finished segments left behind and how long the archive has not moved", () => {
    expect(archiveBacklogOf(status({ currentWal: "0000000100000000000000A6" }))).toEqual({
      pendingSegments: 3,
      lagSeconds: 600,
    });
    // Across a log boundary (...00FF then 01 00).
    expect(
      archiveBacklogOf(
        status({ lastArchivedWal: "0000000100000000000000FE", currentWal: "000000010000000100000001" }),
      ).pendingSegments,
    ).toBe(2);
  });

  it("is unknown on a standby and across a timeline switch", () => {
    expect(archiveBacklogOf(status({ currentWal: null }))).toEqual({
      pendingSegments: null,
      lagSeconds: null,
    });
    expect(archiveBacklogOf(status({ currentWal: "0000000200000000000000A4" }))).toEqual({
      pendingSegments: null,
      lagSeconds: null,
    });
    expect(archiveBacklogOf(status({ lastArchivedWal: "00000002.history" }))).toEqual({
      pendingSegments: null,
      lagSeconds: null,
    });
  });

  it("counts from the server's start when nothing was ever archived and attempts failed", () => {
    const never = { lastArchivedWal: null, lastArchivedAt: null, archivedCount: 0 };
    expect(archiveBacklogOf(status({ ...never, failedCount: 4 }))).toEqual({
      pendingSegments: null,
      lagSeconds: 3600,
    });
    expect(archiveBacklogOf(status(never))).toEqual({ pendingSegments: null, lagSeconds: 0 });
  });
});
