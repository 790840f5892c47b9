import { spawn } from "node:child_process";
import { ProgramFailedError } from "./errors.ts";

/** Output kept from a program: its end matters (the error), and it must not fill memory. */
const KEPT_OUTPUT_BYTES = 16 * 1024;

export interface RunProgramOptions {
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGTERM, then SIGKILL 5 s later) after this long. */
  timeoutMs?: number;
  /** Throw ProgramFailedError on a non-zero exit (default true). */
  check?: boolean;
  /** Bytes of each output stream kept (its end). Default 16 KiB. */
  keepBytes?: number;
  /** Run as this account (pgBackRest runs as the account that runs PostgreSQL). */
  runAs?: { uid: number; gid: number } | undefined;
  /** Called with each complete line of either output stream as it comes (progress). */
  onLine?: (line: string) => void;
}

export interface ProgramResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The end of standard output (`keepBytes`). */
  stdout: string;
  /** The end of standard error (`keepBytes`). */
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * Runs a program without a shell (arguments are never interpreted) and collects the end of its output.
 *
 * @example
 * const listing = await runProgram("/usr/lib/postgresql/15/bin/pg_restore", ["--list", file]);
 * listing.stdout; // ";\n; Archive created at 2026-11-27 06:00:01 UTC\n..."
 * @throws ProgramFailedError "pg_restore failed (exit code 1): pg_restore: error: input file is too short"
 */
export function runProgram(
  command: string,
  args: readonly string[],
  options: RunProgramOptions = {},
): Promise<ProgramResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    const keep = options.keepBytes ?? KEPT_OUTPUT_BYTES;
    const stdout = new OutputTail(keep);
    const stderr = new OutputTail(keep);
    const lines = options.onLine ? [new LineSplitter(options.onLine), new LineSplitter(options.onLine)] : [];
    child.stdout.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
      lines[0]?.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr.push(chunk);
      lines[1]?.push(chunk);
    });
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGTERM");
            killer = setTimeout(() => child.kill("SIGKILL"), 5000);
          }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      clearTimeout(killer);
      reject(new ProgramFailedError(command, null, error.message));
    });
    child.once("close", (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      for (const splitter of lines) splitter.end();
      const result: ProgramResult = {
        exitCode,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        durationMs: performance.now() - started,
        timedOut,
      };
      if ((options.check ?? true) && exitCode !== 0) {
        const why = timedOut
          ? `timed out after ${options.timeoutMs} ms`
          : lastLines(result.stderr || result.stdout);
        reject(new ProgramFailedError(programName(command), exitCode, why));
        return;
      }
      resolve(result);
    });
  });
}

/** The last few lines of an output, for an error message. */
export function lastLines(text: string, count = 5): string {
  return text.trim().split("\n").slice(-count).join("\n");
}

function programName(command: string): string {
  return command.split("/").pop() ?? command;
}

/** Keeps the last `limit` bytes of a stream. */
class OutputTail {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0]?.length ?? 0) >= this.#limit) {
      this.#bytes -= this.#chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#limit)).toString("utf8");
  }
}

/** Cuts a stream into lines for a callback; a line split across chunks is delivered whole. */
class LineSplitter {
  readonly #onLine: (line: string) => void;
  #rest = "";

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    const parts = (this.#rest + chunk.toString("utf8")).split("\n");
    this.#rest = parts.pop() ?? "";
    for (const line of parts) this.#onLine(line);
  }

  end(): void {
    if (this.#rest) this.#onLine(this.#rest);
    this.#rest = "";
  }
}
