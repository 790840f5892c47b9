import { describe, expect, it } from "vitest";
import { runCtl } from "./runCtl.ts";

// Command-line handling only: every case here stops before touching a database (there is none).

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCtl(args, {
    io: { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) },
    env,
  });
  return { code, stdout, stderr };
}

describe("runCtl", () => {
  it("has help for every command, without needing a database", async () => {
    const general = await run(["--help"]);
    expect(general.code).toBe(0);
    expect(general.stdout).toMatch(/^\s+clients\s+create, list and revoke API clients$/m);
    expect((await run([])).code).toBe(2);
    for (const sub of ["create", "list", "revoke"]) {
      const help = await run(["clients", sub, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`npm run ctl -- clients ${sub}`);
    }
    expect((await run(["clients", "--help"])).stdout).toContain("create    create a client");
    expect((await run(["clients", "create", "--help"])).stdout).toContain(
      "operations:write, operations:read, accounts:read, admin",
    );
  });

  it.each([
    [["clients", "create", "--scopes", "admin"], "--name is required"],
    [["clients", "create", "--name", "x"], "--scopes is required"],
    [["clients", "create", "--name", "x", "--scopes", ","], "at least one scope"],
    [["clients", "create", "--name", "x", "--scopes", "admin,superpowers"], 'unknown scope "superpowers"'],
    [["clients", "create", "--name", "x", "--scopes", "admin", "--rate-limit", "0"], "--rate-limit must be"],
    [
      ["clients", "create", "--name", "x", "--scopes", "admin", "--rate-limit", "1e3"],
      "--rate-limit must be",
    ],
    [["clients", "create", "--name", "x", "--scopes", "admin", "--bogus"], "Unknown option"],
    [["clients", "create", "--name", "a\u0007b", "--scopes", "admin"], "without control characters"],
    [["clients", "revoke"], "which client?"],
    [["clients", "revoke", "a", "b"], "exactly one client id"],
    [["clients", "delete"], 'unknown subcommand "delete"'],
    [["nothing"], 'unknown command "nothing"'],
  ])("explains a wrong command line %j and does nothing", async (args, message) => {
    const result = await run(args, { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe("");
  });

  it("lists the valid scopes when one is wrong", async () => {
    const result = await run(["clients", "create", "--name", "x", "--scopes", "operations:writ"]);
    expect(result.stderr).toContain("valid scopes: operations:write, operations:read, accounts:read, admin");
    expect(result.stderr).toContain('Run "npm run ctl -- clients create --help"');
  });

  it("says clearly when DATABASE_URL is missing or wrong", async () => {
    const missing = await run(["clients", "list"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("DATABASE_URL is not set");
    const wrong = await run(["clients", "list"], { DATABASE_URL: "mysql://x" });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("DATABASE_URL: must be a postgres:// URL");
  });

  it("reports an unreachable database as a failure, without its URL", async () => {
    const result = await run(["clients", "list"], {
      DATABASE_URL: "postgres://ops:s3cret@127.0.0.1:1/accounts",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("clients failed:");
    expect(result.stderr).not.toContain("s3cret");
  });
});
