import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { livePidFromFile, signalGroup } from "@accounts/devstack";

export const HARNESS_DIR_PREFIX = "accounts-harness-";
/** Written into each harness folder: which vitest process owns it. */
export const OWNER_FILE = "owner.json";

/**
 * Removes harness folders whose vitest process is gone, with their servers. A vitest killed
 * with SIGKILL (a CI timeout) cannot clean up, and its servers, in their own process groups,
 * would otherwise run until the machine restarts. Folders of live runs are left alone.
 */
export function reapStaleHarnesses(root = tmpdir()): void {
  let names: string[];
  try {
    names = readdirSync(root).filter((name) => name.startsWith(HARNESS_DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(root, name);
    const owner = readOwner(dir);
    if (owner === undefined || isAlive(owner)) continue;
    for (const [pidFile, program] of [
      [join(dir, "postgres", "postmaster.pid"), "postgres"],
      [join(dir, "redis", "redis.pid"), "redis-server"],
    ] as const) {
      const pid = livePidFromFile(pidFile, program);
      if (pid !== undefined) signalGroup(pid, "SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

function readOwner(dir: string): number | undefined {
  try {
    const { pid } = JSON.parse(readFileSync(join(dir, OWNER_FILE), "utf8")) as { pid?: unknown };
    return typeof pid === "number" ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
