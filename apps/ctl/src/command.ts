import { type ParseArgsConfig, parseArgs } from "node:util";

/** Exit codes of the operator command. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed (unknown client, database error). */
  failed: 1,
  /** The command line or the environment is wrong; nothing was done. */
  usage: 2,
} as const;

/** Where a command writes: standard output for results, standard error for everything else. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  io: Io;
  /** The environment, read only through the command's config parser. */
  env: NodeJS.ProcessEnv;
}

/** One top-level command (`clients`, later `backup`, `restore`): a file under src/commands/. */
export interface Command {
  name: string;
  /** One line for the general help. */
  summary: string;
  /** Its own `--help` text. */
  help: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[], context: CommandContext): Promise<number>;
}

/** A wrong command line: printed with a pointer to `--help`, exit code 2, nothing done. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    /** The command whose help to point at, as typed (`clients create`). */
    readonly command: string,
  ) {
    super(message);
  }
}

/**
 * `node:util` parseArgs in strict mode, with its errors turned into usage errors that name the
 * command.
 */
export function parseCommandLine<T extends ParseArgsConfig["options"]>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
}
