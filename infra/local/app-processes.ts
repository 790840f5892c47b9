import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { killOnExit, signalGroup } from "@accounts/devstack";

export type AppName = "api" | "worker" | "scheduler";

/** One of the three apps, running as our child. */
export interface AppProcess {
  readonly name: AppName;
  readonly pid: number;
  /** Settles when it exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (the apps drain and exit 0), SIGKILL of its group after `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
  /** SIGKILL at once, for a second Ctrl-C. */
  kill(): void;
}

const COLORS: Record<AppName, string> = { api: "36", worker: "35", scheduler: "33" };

/**
 * Starts `apps/<name>/src/main.ts` with tsx. Each line it prints goes to our terminal behind an
 * `[name]` prefix and, unprefixed, to `<logDir>/<name>.log`.
 */
export function startApp(
  name: AppName,
  options: { cwd: string; env: NodeJS.ProcessEnv; logDir: string },
): AppProcess {
  const log = createWriteStream(join(options.logDir, `${name}.log`), { flags: "a" });
  // Its own process group, so that a Ctrl-C in the terminal reaches only us and we decide the
  // order: apps drain first, while PostgreSQL and Redis are still there for them.
  const child = spawn(process.execPath, ["--import", "tsx", join("apps", name, "src", "main.ts")], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => {
      log.write(`could not start: ${error.message}\n`);
      resolve({ code: 127, signal: null });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start the ${name} app`);
  const pid = child.pid;
  killOnExit(child);
  const prefix = process.stdout.isTTY ? `\u001b[${COLORS[name]}m[${name}]\u001b[0m ` : `[${name}] `;
  relay(child, "stdout", process.stdout, prefix, log);
  relay(child, "stderr", process.stderr, prefix, log);
  // 'close' (not 'exit') comes after the last line was read from the pipes.
  child.once("close", () => log.end());

  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    pid,
    exited,
    stop: async (timeoutMs) => {
      if (!running()) return;
      child.kill("SIGTERM");
      const escalation = setTimeout(() => {
        console.error(`[start] ${name} did not stop within ${timeoutMs / 1000} s; killing it`);
        signalGroup(pid, "SIGKILL");
      }, timeoutMs);
      await exited;
      clearTimeout(escalation);
    },
    kill: () => {
      if (running()) signalGroup(pid, "SIGKILL");
    },
  };
}

function relay(
  child: ChildProcess,
  stream: "stdout" | "stderr",
  terminal: NodeJS.WriteStream,
  prefix: string,
  log: WriteStream,
): void {
  const source = child[stream];
  if (!source) return;
  createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
    terminal.write(`${prefix}${line}\n`);
    if (!log.writableEnded) log.write(`${line}\n`);
  });
}
