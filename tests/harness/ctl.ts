import { execFile } from "node:child_process";
import { appCommand } from "@accounts/devstack";
import { REPO_ROOT } from "./built-apps.ts";
import { scaledTimeout } from "./timeouts.ts";

/** How a run of the operator command ended. */
export interface CtlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built operator command (`node dist/ctl/main.js ...`, as the production image runs it) from
 * the repository root with exactly `env` (plus PATH and HOME), and resolves once it exited. A run
 * that outlives its (machine-scaled) limit is killed and counts as failed.
 *
 * @example
 * const run = await runCtl(["clients", "list", "--json"], { DATABASE_URL: database.url() });
 * expect(run.code).toBe(0);
 */
export function runCtl(args: string[], env: Record<string, string | undefined>): Promise<CtlRun> {
  const { command, args: ctlArgs } = appCommand("ctl", "built");
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  return new Promise((resolve) => {
    execFile(
      command,
      [...ctlArgs, ...args],
      { cwd: REPO_ROOT, env: childEnv, timeout: scaledTimeout(20_000) },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
