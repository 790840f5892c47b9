import { describe, expect, it } from "vitest";
import { newestBackupTimes, parseRepositoryInfo } from "./repositoryInfo.ts";

// The shape pgBackRest 2.45 prints for `info --output=json` (trimmed to one backup of each kind).
function backup(label: string, type: string, start: number, stop: number, prior: string | null) {
  return {
    archive: { start: "000000010000000000000002", stop: "000000010000000000000003" },
    backrest: { format: 5, version: "2.45" },
    database: { id: 1, "repo-key": 1 },
    error: false,
    info: { delta: 23213695, repository: { delta: 4549082, size: 4549082 }, size: 23213695 },
    label,
    lsn: { start: "0/2000028", stop: "0/3000050" },
    prior,
    reference: null,
    timestamp: { start, stop },
    type,
  };
}

// pgBackRest prints the system identifier as a 64-bit integer, more than a JS number holds exactly.
const json = JSON.stringify([
  {
    archive: [
      {
        database: { id: 1, "repo-key": 1 },
        id: "15-1",
        max: "000000010000000000000008",
        min: "000000010000000000000002",
      },
    ],
    backup: [
      backup("20261202-055145F", "full", 1796190705, 1796190708, null),
      backup("20261202-055145F_20261202-060000I", "incr", 1796191200, 1796191203, "20261202-055145F"),
      {
        ...backup("20261202-055145F_20261202-061000I", "incr", 1796191800, 1796191801, "20261202-055145F"),
        error: true,
      },
    ],
    cipher: "none",
    db: [{ id: 1, "repo-key": 1, "system-id": "SYSTEM_ID", version: "15" }],
    name: "accounts",
    repo: [{ cipher: "none", key: 1, status: { code: 0, message: "ok" } }],
    status: { code: 0, lock: { backup: { held: false } }, message: "ok" },
  },
]).replace('"SYSTEM_ID"', "7714580321851991368");

describe("parseRepositoryInfo", () => {
  it("reads the backup sets (oldest first, failed ones left out) and the archived WAL range", () => {
    const info = parseRepositoryInfo(json, "accounts");
    expect(info.status).toEqual({ code: 0, message: "ok" });
    expect(info.archive).toEqual({ min: "000000010000000000000002", max: "000000010000000000000008" });
    expect(info.backups.map((b) => [b.label, b.type, b.prior])).toEqual([
      ["20261202-055145F", "full", null],
      ["20261202-055145F_20261202-060000I", "incr", "20261202-055145F"],
    ]);
    expect(info.backups[0]).toMatchObject({
      stoppedAt: new Date(1796190708 * 1000),
      databaseBytes: 23213695,
      repositoryBytes: 4549082,
    });
  });

  it("reads a stanza the repository does not hold as empty, with pgBackRest's status", () => {
    const missing = JSON.stringify([
      {
        archive: [],
        backup: [],
        cipher: "none",
        db: [],
        name: "nosuch",
        repo: [{ cipher: "none", key: 1, status: { code: 1, message: "missing stanza path" } }],
        status: { code: 1, lock: { backup: { held: false } }, message: "missing stanza path" },
      },
    ]);
    expect(parseRepositoryInfo(missing, "nosuch")).toEqual({
      stanza: "nosuch",
      status: { code: 1, message: "missing stanza path" },
      backups: [],
      archive: null,
    });
    expect(() => parseRepositoryInfo(missing, "accounts")).toThrow(/does not list stanza accounts/);
  });
});

describe("newestBackupTimes", () => {
  it("gives the end of the newest backup of each type, none for a type never taken", () => {
    expect(newestBackupTimes(parseRepositoryInfo(json, "accounts"))).toEqual({
      full: new Date(1796190708 * 1000),
      diff: undefined,
      incr: new Date(1796191203 * 1000),
    });
  });
});
