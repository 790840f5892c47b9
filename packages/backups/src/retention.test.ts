import { describe, expect, it } from "vitest";
import { type BackupFile, backupFileName, backupTimeOf } from "./backupFiles.ts";
import { expiredBackups } from "./retention.ts";

const DAY = 86_400_000;
const now = new Date("2026-11-27T12:00:00.000Z");

/** Backups taken `ages` days before now, newest first as listBackups returns them. */
function backups(...ages: number[]): BackupFile[] {
  return ages.map((age) => {
    const takenAt = new Date(now.getTime() - age * DAY);
    const name = backupFileName(takenAt);
    return { name, path: `/b/${name}`, takenAt, sizeBytes: 1 };
  });
}

const ages = (files: BackupFile[]) =>
  files.map((f) => Math.round((now.getTime() - f.takenAt.getTime()) / DAY));

describe("backup file names", () => {
  it("carry the UTC start time with milliseconds and parse back", () => {
    const at = new Date("2026-11-27T06:05:09.042Z");
    expect(backupFileName(at)).toBe("accounts-20261127T060509.042Z.dump");
    expect(backupTimeOf(backupFileName(at))).toEqual(at);
  });

  it.each([
    "accounts-20261127T060509.042Z.dump.sha256",
    "accounts-20261127T060509.042Z.dump.partial",
    "accounts-20261327T060509.042Z.dump",
    "accounts-20261127T060509Z.dump",
    "other-20261127T060509.042Z.dump",
  ])("ignore %s", (name) => {
    expect(backupTimeOf(name)).toBeUndefined();
  });
});

describe("expiredBackups", () => {
  it("keeps the newest keepCount and deletes the rest", () => {
    expect(ages(expiredBackups(backups(0, 1, 2, 3, 4), { keepCount: 3, keepDays: 30, now }))).toEqual([3, 4]);
  });

  it("deletes backups older than keepDays even within the count", () => {
    expect(ages(expiredBackups(backups(0, 1, 8, 9), { keepCount: 10, keepDays: 7, now }))).toEqual([8, 9]);
  });

  it("never deletes the newest backup, however old", () => {
    expect(ages(expiredBackups(backups(40, 41), { keepCount: 5, keepDays: 7, now }))).toEqual([41]);
    expect(expiredBackups(backups(40), { keepCount: 1, keepDays: 1, now })).toEqual([]);
  });

  it("deletes nothing when all are young and within the count", () => {
    expect(expiredBackups(backups(0, 0.25, 0.5), { keepCount: 28, keepDays: 7, now })).toEqual([]);
  });
});
