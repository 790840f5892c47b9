import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { killOnExit, signalGroup } from "./child-processes.ts";
import type { SystemAccount } from "./system-account.ts";

/** Signals after which a kill() waits for the process to be gone. */
export const ENDS_PROCESS: ReadonlySet<NodeJS.Signals> = new Set(["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT"]);

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server program running as our child, its output appended to a log file. */
export interface ServerProcess {
  readonly pid: number;
  /** Settles once the process has exited (whoever stopped it). */
  readonly exited: Promise<ExitStatus>;
  isRunning(): boolean;
  /** Signal to the whole process group (the server and the workers it forked). */
  signalGroup(signal: NodeJS.Signals): void;
  /** Sends `signal` to the server, waits for it to exit, SIGKILLs its group after `timeoutMs`. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitStatus>;
}

export interface ServerSpawn {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  /** Run as this account instead of ourselves (PostgreSQL when we are root). */
  runAs?: SystemAccount | undefined;
}

/**
 * Spawns a server in its own process group: a Ctrl-C in the terminal then reaches only our
 * process, which stops the apps first and the servers last, instead of every process at once.
 */
export function spawnServer(spec: ServerSpawn): ServerProcess {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  // The log is opened by us and inherited as a file descriptor, so it need not be writable by
  // the account the server runs as.
  const log = openSync(spec.logFile, "a");
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      detached: true,
      stdio: ["ignore", log, log],
      ...(spec.runAs ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    // spawn failures (ENOENT, EACCES) come as 'error' without 'exit'.
    child.once("error", () => resolve({ code: child.exitCode ?? 127, signal: null }));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${spec.command}; see ${spec.logFile}`);
  killOnExit(child);
  let running = true;
  void exited.then(() => {
    running = false;
  });
  return {
    pid,
    exited,
    isRunning: () => running,
    signalGroup: (signal) => {
      if (running) signalGroup(pid, signal);
    },
    stop: async (signal, timeoutMs) => {
      if (!running) return exited;
      child.kill(signal);
      // The fallback timer must not outlive a quick exit: it would hold the event loop open.
      const escalation = setTimeout(() => signalGroup(pid, "SIGKILL"), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(escalation);
      }
    },
  };
}

/**
 * Polls `probe` until it resolves true. Fails early when the server exits, and at the deadline,
 * with the end of its log in the message: that is where the reason is.
 */
export async function waitUntilReady(
  server: ServerProcess,
  probe: () => Promise<boolean>,
  options: { what: string; logFile: string; timeoutMs: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (!server.isRunning()) {
      const { code, signal } = await server.exited;
      throw startupError(`${options.what} exited during startup (code ${code}, signal ${signal})`, options);
    }
    if (await probe()) return;
    await sleep(100);
  }
  server.signalGroup("SIGKILL");
  throw startupError(`${options.what} did not accept connections within ${options.timeoutMs} ms`, options);
}

function startupError(summary: string, options: { logFile: string }): Error {
  return new Error(`${summary}. Last lines of ${options.logFile}:\n${logTail(options.logFile)}`);
}

/**
 * The last `lines` lines of a log file, indented, or a note when it cannot be read.
 *
 * @example
 * console.error(`PostgreSQL log:\n${logTail(server.logFile, 20)}`);
 */
export function logTail(file: string, lines = 30): string {
  try {
    const text = readFileSync(file, "utf8").trimEnd();
    return text
      .split("\n")
      .slice(-lines)
      .map((line) => `  ${line}`)
      .join("\n");
  } catch (error) {
    return `  (cannot read the log: ${error instanceof Error ? error.message : String(error)})`;
  }
}

/**
 * The pid recorded in a server's pid file when that process is still alive and runs `program`
 * (so that a stale file whose pid was reused by something else is ignored).
 *
 * @example
 * livePidFromFile("/tmp/pg/postmaster.pid", "postgres"); // 81234, or undefined
 */
export function livePidFromFile(pidFile: string, program: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
  }
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    return comm.startsWith(program) ? pid : undefined;
  } catch {
    // No /proc (macOS): a live pid is the best evidence there is.
    return pid;
  }
}
