import type { ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Makes sure `child` never outlives this process: when this process exits (normally, through
 * `process.exit`, or after an uncaught error) every tracked child still running gets SIGKILL,
 * together with its process group. Signals (SIGINT, SIGTERM) are left to the owner, which should
 * stop its children gracefully and then exit. Returns a function that stops tracking.
 *
 * @example
 * const app = spawn(process.execPath, ["app.js"], { detached: true });
 * killOnExit(app);
 */
export function killOnExit(child: ChildProcess): () => void {
  installExitHook();
  live.add(child);
  const untrack = () => {
    live.delete(child);
  };
  child.once("exit", untrack);
  return untrack;
}

/**
 * Sends `signal` to the process group led by `pid` (children spawned with `detached: true` lead
 * one), falling back to the process alone. Grouping matters for PostgreSQL: SIGKILL of the
 * postmaster alone leaves its backends holding shared memory, and a restart then refuses to run.
 * Returns false when no such process exists.
 *
 * @example
 * signalGroup(server.pid, "SIGKILL");
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: no waiting here, only the kill itself.
  process.on("exit", () => {
    for (const child of live) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        signalGroup(child.pid, "SIGKILL");
      }
    }
    live.clear();
  });
}
