import { describe, expect, it } from "vitest";
import type { BackupSet, RepositoryInfo } from "../pgbackrest/repositoryInfo.ts";
import { chooseBackup, NoBackupForTargetError } from "./chooseBackup.ts";
import { parseRecoveryTarget } from "./recoveryTarget.ts";

function backup(label: string, type: BackupSet["type"], stopped: string): BackupSet {
  const stoppedAt = new Date(stopped);
  return {
    label,
    type,
    startedAt: new Date(stoppedAt.getTime() - 60_000),
    stoppedAt,
    databaseBytes: 1,
    repositoryBytes: 1,
    prior: null,
    walStart: "000000010000000000000002",
    walStop: "000000010000000000000003",
  };
}

const info: RepositoryInfo = {
  stanza: "accounts",
  status: { code: 0, message: "ok" },
  backups: [
    backup("20261201-010000F", "full", "2026-12-01T01:05:00Z"),
    backup("20261201-010000F_20261201-020000I", "incr", "2026-12-01T02:00:30Z"),
    backup("20261201-010000F_20261202-010000D", "diff", "2026-12-02T01:01:00Z"),
  ],
  archive: { min: "000000010000000000000002", max: "0000000100000000000000A3" },
};
const now = new Date("2026-12-02T12:00:00Z");
const at = (time: string) => chooseBackup(info, parseRecoveryTarget(time), now).label;

describe("chooseBackup", () => {
  it("takes the newest backup that ended before the target", () => {
    expect(at("2026-12-01T01:30:00Z")).toBe("20261201-010000F");
    expect(at("2026-12-01T23:59:59Z")).toBe("20261201-010000F_20261201-020000I");
    expect(at("2026-12-02T11:00:00Z")).toBe("20261201-010000F_20261202-010000D");
    expect(chooseBackup(info, { kind: "latest" }, now).label).toBe("20261201-010000F_20261202-010000D");
  });

  it("does not count a backup that ended in the target's own second", () => {
    expect(at("2026-12-01T02:00:30.900Z")).toBe("20261201-010000F");
    expect(at("2026-12-01T02:00:31Z")).toBe("20261201-010000F_20261201-020000I");
  });

  it("refuses a target before the oldest backup, naming the earliest possible time", () => {
    expect(() => at("2026-12-01T01:00:00Z")).toThrow(NoBackupForTargetError);
    expect(() => at("2026-12-01T01:00:00Z")).toThrow(
      /earliest time this repository can restore to is 2026-12-01T01:05:01.000Z/,
    );
  });

  it("refuses a target in the future and an empty repository", () => {
    expect(() => at("2026-12-03T00:00:00Z")).toThrow(/in the future.*restore --to latest/);
    expect(() => chooseBackup({ ...info, backups: [] }, { kind: "latest" }, now)).toThrow(/holds no backup/);
  });
});
