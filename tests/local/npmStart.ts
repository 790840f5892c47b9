import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort, killOnExit, livePidFromFile, localPostgresDir, localRedisDir } from "@accounts/devstack";
import { REPO_ROOT, scaledTimeout } from "@accounts/tests/harness";

/** Where a signal goes: `npm start`'s own pid, or its whole process group (a terminal's Ctrl-C, a supervisor). */
export type SignalTarget = "pid" | "group";

/** A real `npm start` (npm, its script, the servers, the apps), in its own process group. */
export interface NpmStart {
  readonly pid: number;
  readonly env: Readonly<Record<string, string>>;
  /** Every line it printed so far. */
  output(): string;
  /** Resolves with the first line matching `pattern` (also one already printed); rejects when it exits first. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Settles with its exit code once npm exited. */
  readonly exited: Promise<number | null>;
  signal(signal: NodeJS.Signals, target: SignalTarget): void;
}

/**
 * Runs `npm start` as a user or a supervisor would (the real npm script, in a new process group) with
 * its data in `dataDir` and its apps on free ports. Nothing else of the caller's environment leaks in.
 */
export async function runNpmStart(dataDir: string, apiKey: string): Promise<NpmStart> {
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    LOCAL_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    WORKER_METRICS_PORT: String(await freePort()),
    SCHEDULER_METRICS_PORT: String(await freePort()),
    BOOTSTRAP_API_KEY: apiKey,
    LOG_LEVEL: "warn",
    SHUTDOWN_GRACE_SECONDS: "0",
  };
  const child: ChildProcess = spawn("npm", ["start"], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not run npm start");
  let output = "";
  const listeners = new Set<(line: string) => void>();
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
      output += `${line}\n`;
      for (const listener of listeners) listener(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return {
    pid,
    env,
    output: () => output,
    exited,
    signal: (signal, target) => {
      try {
        process.kill(target === "group" ? -pid : pid, signal);
      } catch {
        // already gone
      }
    },
    waitForLine: (pattern) =>
      new Promise((resolve, reject) => {
        const seen = output.split("\n").find((line) => pattern.test(line));
        if (seen !== undefined) return resolve(seen);
        const timeoutMs = scaledTimeout(60_000);
        const done = () => {
          listeners.delete(listener);
          clearTimeout(timer);
        };
        const listener = (line: string) => {
          if (!pattern.test(line)) return;
          done();
          resolve(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`npm start printed no line matching ${pattern} within ${timeoutMs} ms:\n${output}`),
          );
        }, timeoutMs);
        listeners.add(listener);
        void exited.then((code) => {
          if (!listeners.has(listener)) return;
          done();
          reject(new Error(`npm start exited (code ${code}) before printing ${pattern}:\n${output}`));
        });
      }),
  };
}

/**
 * Every live process started for the local stack in `dataDir`: they all carry LOCAL_DATA_DIR in their
 * environment (npm, its script, the apps, PostgreSQL and its backends, Redis), plus whatever the
 * servers' pid files name. Empty once `npm start` left nothing behind.
 */
export function leftovers(dataDir: string): string[] {
  const found = new Set<string>();
  const marker = `LOCAL_DATA_DIR=${dataDir}\0`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(join("/proc", entry, "environ"), "latin1");
      if (!`${environ}\0`.includes(marker)) continue;
      const command = readFileSync(join("/proc", entry, "cmdline"), "latin1")
        .replaceAll("\0", " ")
        .trim();
      // A zombie (exited, not yet reaped by its parent) has an empty command line: it is gone.
      if (command) found.add(`${entry} ${command}`);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  const servers = [
    [join(localRedisDir(dataDir), "redis.pid"), "redis-server"],
    [join(localPostgresDir(dataDir), "postmaster.pid"), "postgres"],
  ] as const;
  for (const [pidFile, program] of servers) {
    const pid = livePidFromFile(pidFile, program);
    if (pid !== undefined) found.add(`${pid} ${program} (from ${pidFile})`);
  }
  return [...found].sort();
}
