import { describe, expect, it } from "vitest";
import { runCtl } from "../runCtl.ts";

// Command-line handling of `restore --to`: what is refused before anything is read or written.

async function ctl(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCtl(args, {
    io: { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) },
    env,
  });
  return { code, stdout, stderr };
}

describe("restore --to", () => {
  it("asks for a time zone rather than guessing one", async () => {
    const run = await ctl(["restore", "--to", "2026-12-02T10:14:59"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--to: "2026-12-02T10:14:59" has no time zone: give the time with its offset, e.g. 2026-12-02T10:14:59Z (UTC)',
    );
    expect(run.stderr).toContain('Run "npm run ctl -- restore --help" for usage.');
  });

  it.each([
    [
      ["restore", "backup.dump", "--to", "latest"],
      /give either a backup FILE \(logical restore\) or --to TIME\|latest/,
    ],
    [
      ["restore", "--to=yesterday"],
      /"yesterday" is not a time: give an RFC 3339 time such as 2026-12-02T10:14:59Z, or "latest"/,
    ],
    [["restore", "--to", "latest", "--port", "80"], /--port must be a port number above 1024/],
    [["restore"], /or --to TIME\|latest to restore the database as it was at a point in time/],
  ])("refuses %j with a usage error that says what to do", async (args, message) => {
    const run = await ctl(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it("names PGBACKREST_CONFIG when the repository's configuration is not there", async () => {
    const run = await ctl(["restore", "--to", "latest"], {
      PGBACKREST_CONFIG: "/nonexistent/pgbackrest.conf",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pgbackrest\.conf does not exist or cannot be read: set PGBACKREST_CONFIG/);
  });

  it("documents both restores in its help", async () => {
    const run = await ctl(["restore", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("npm run ctl -- restore --to TIME|latest");
    expect(run.stdout).toContain("never over a data folder");
  });
});
