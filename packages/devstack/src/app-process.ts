import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { appCommand, type LaunchMode, READY_PORT_VARIABLE, type ServerAppName } from "./apps.ts";
import { killOnExit, signalGroup } from "./child-processes.ts";
import type { ExitStatus } from "./server-process.ts";

export interface AppProcessOptions {
  app: ServerAppName;
  /** Label in messages and output prefixes (`worker-2`). Default: the app's name. */
  name?: string;
  mode: LaunchMode;
  /** Working directory: the repository root (source), or the folder holding `dist/` (built). */
  cwd: string;
  /** The whole environment of the process; must set the app's port (READY_PORT_VARIABLE). */
  env: Readonly<Record<string, string | undefined>>;
  /** Longest wait for `/ready` answering 200 after a start. */
  readyTimeoutMs: number;
  /** Called with each line the process prints (stdout and stderr), without its newline. */
  onLine?: (line: string) => void;
  /** Called each time the process exits, whoever ended it. */
  onExit?: (status: ExitStatus) => void;
  /** Node options before the script, e.g. `["--cpu-prof"]`. */
  nodeOptions?: readonly string[];
}

/** One app process, restartable. Every method is safe to call in any state. */
export interface AppProcess {
  readonly name: string;
  readonly app: ServerAppName;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `http://127.0.0.1:<port>/ready` */
  readonly readyUrl: string;
  /** Pid of the current (or last) process; -1 before the first start. */
  pid(): number;
  running(): boolean;
  /** Settles when the current process exited; at once when none runs. */
  exited(): Promise<ExitStatus>;
  /**
   * Spawns it (when not running) and resolves once `/ready` answers 200, with how long that took.
   * Rejects when it exits first or at the deadline (then it is killed), with its last output.
   */
  start(): Promise<{ readyMs: number }>;
  /** SIGTERM (the apps drain and exit), SIGKILL of its process group after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ExitStatus>;
  /** SIGKILL of its process group, as a crash; resolves once it exited. */
  kill(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<{ readyMs: number }>;
  /** Everything it printed since it was created (the newest megabyte), for failure messages. */
  output(): string;
}

const DEFAULT_STOP_TIMEOUT_MS = 15_000;
const OUTPUT_LIMIT = 1 << 20;
const NOT_STARTED: ExitStatus = { code: null, signal: null };

/**
 * The one launcher of the apps (`npm start`, the test harness, the fault suite, the soak, the
 * benchmark): each app runs as a child in its own process group, so that a Ctrl-C in a terminal
 * reaches only the launcher, which then stops things in order; its lines are relayed through
 * `onLine`; it is ready when its `/ready` answers 200, the same signal Kubernetes waits for.
 * It never outlives the launching process (killOnExit).
 *
 * @example
 * const api = launchApp({ app: "api", mode: "built", cwd: root, env: { ...env, PORT: "3000" }, readyTimeoutMs: 30_000 });
 * await api.start();           // { readyMs: 412 }
 * await api.kill(); await api.start(); // a crash and a restart
 * await api.stop();
 */
export function launchApp(options: AppProcessOptions): AppProcess {
  const name = options.name ?? options.app;
  const portVariable = READY_PORT_VARIABLE[options.app];
  const port = options.env[portVariable];
  if (!port) throw new Error(`${name}: ${portVariable} must be set to launch it`);
  const readyUrl = `http://127.0.0.1:${port}/ready`;
  let child: ChildProcess | undefined;
  let exited: Promise<ExitStatus> = Promise.resolve(NOT_STARTED);
  let output = "";
  /** Bumped by stop() and kill(): a start() in progress then gives up instead of waiting on. */
  let generation = 0;

  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const record = (line: string) => {
    output += `${line}\n`;
    if (output.length > OUTPUT_LIMIT) output = output.slice(output.length - OUTPUT_LIMIT / 2);
    options.onLine?.(line);
  };

  const spawnChild = () => {
    const { command, args } = appCommand(options.app, options.mode, options.nodeOptions);
    const started = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    exited = new Promise((resolve) => {
      // 'close' comes after 'exit' and after the last line was read from its pipes.
      started.once("close", (code, signal) => {
        resolve({ code, signal });
        options.onExit?.({ code, signal });
      });
      // spawn failures (a wrong cwd) come as 'error' without 'exit'.
      started.once("error", (error) => {
        record(`could not start: ${error.message}`);
        resolve({ code: 127, signal: null });
      });
    });
    killOnExit(started);
    for (const stream of [started.stdout, started.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", record);
    }
  };

  const failure = (summary: string) => {
    const tail = output.trimEnd().split("\n").slice(-40).join("\n");
    return new Error(`${name} ${summary}; its last output:\n${tail || "(none)"}`);
  };

  const waitReady = async (since: number, mine: number): Promise<{ readyMs: number }> => {
    const deadline = since + options.readyTimeoutMs;
    for (;;) {
      if (mine !== generation) throw new Error(`${name} was stopped before it was ready`);
      if (!running()) {
        const { code, signal } = await exited;
        throw failure(`exited before it was ready (code ${code}, signal ${signal})`);
      }
      if (await answers200(readyUrl)) return { readyMs: Date.now() - since };
      if (Date.now() > deadline) {
        await kill();
        throw failure(`did not answer ${readyUrl} with 200 within ${options.readyTimeoutMs} ms`);
      }
      await sleep(50);
    }
  };

  const stop = async (timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<ExitStatus> => {
    generation += 1;
    const current = child;
    if (!current?.pid || !running()) return exited;
    const pid = current.pid;
    current.kill("SIGTERM");
    const escalation = setTimeout(() => {
      record(`did not stop within ${timeoutMs} ms of SIGTERM: SIGKILL`);
      signalGroup(pid, "SIGKILL");
    }, timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(escalation);
    }
  };

  const kill = async (): Promise<void> => {
    generation += 1;
    if (child?.pid && running()) signalGroup(child.pid, "SIGKILL");
    await exited;
  };

  const start = async (): Promise<{ readyMs: number }> => {
    const since = Date.now();
    if (!running()) spawnChild();
    return waitReady(since, generation);
  };

  return {
    name,
    app: options.app,
    env: options.env,
    readyUrl,
    pid: () => child?.pid ?? -1,
    running,
    exited: () => exited,
    start,
    stop,
    kill,
    restart: async () => {
      await stop();
      return start();
    },
    output: () => output,
  };
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    // not listening yet
    return false;
  }
}
