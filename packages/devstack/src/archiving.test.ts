import { describe, expect, it } from "vitest";
import { pgbackrestConfigText, shellQuote } from "./archiving.ts";

const input = {
  stanza: "accounts",
  repoDir: "/srv/app/.data/pgbackrest/repo",
  stateDir: "/srv/app/.data/pgbackrest",
  dataDir: "/srv/app/.data/postgres",
  port: 55432,
  socketDir: "/srv/app/.data/postgres",
  retentionFull: 2,
  retentionDiff: 7,
};

describe("pgbackrestConfigText", () => {
  it("puts the repository, logs and locks in the project's folder and names the cluster's stanza", () => {
    const text = pgbackrestConfigText(input);
    const lines = text.split("\n");
    expect(lines).toContain("repo1-path=/srv/app/.data/pgbackrest/repo");
    expect(lines).toContain("lock-path=/srv/app/.data/pgbackrest/lock");
    expect(lines).toContain("log-path=/srv/app/.data/pgbackrest/log");
    expect(lines).toContain("repo1-retention-full=2");
    expect(lines).toContain("repo1-retention-diff=7");
    const stanza = lines.indexOf("[accounts]");
    expect(stanza).toBeGreaterThan(lines.indexOf("[global]"));
    expect(lines.slice(stanza)).toEqual(
      expect.arrayContaining([
        "pg1-path=/srv/app/.data/postgres",
        "pg1-port=55432",
        "pg1-socket-path=/srv/app/.data/postgres",
      ]),
    );
  });

  it("refuses a folder name that would add lines of its own", () => {
    expect(() => pgbackrestConfigText({ ...input, dataDir: "/tmp/x\nrepo1-path=/elsewhere" })).toThrow(
      /line break/,
    );
  });
});

describe("shellQuote", () => {
  it("quotes for /bin/sh, single quotes included", () => {
    expect(shellQuote("/usr/bin/pgbackrest")).toBe("'/usr/bin/pgbackrest'");
    expect(shellQuote("/srv/it's here/x.conf")).toBe("'/srv/it'\\''s here/x.conf'");
  });
});
