import { CHECKSUM_SUFFIX } from "./backupFiles.ts";
import { lastLines, runProgram } from "./program.ts";

export interface UploadResult {
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The end of what the command printed (standard output, then standard error). */
  output: string;
}

/**
 * Runs the off-site copy command for a backup: `command` through `/bin/sh -c`, with the backup's path
 * appended as its last argument, and `BACKUP_FILE` / `BACKUP_SHA256_FILE` in its environment. The
 * path is passed as a positional parameter, never pasted into the command text, so a file name can
 * never be interpreted by the shell.
 *
 * @example
 * await runUploadCommand("aws s3 cp --only-show-errors", "/backups/accounts-....dump", { timeoutMs: 3_600_000 })
 * // { ok: true, exitCode: 0, output: "", ... }  (ran: aws s3 cp --only-show-errors /backups/accounts-....dump)
 */
export async function runUploadCommand(
  command: string,
  file: string,
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<UploadResult> {
  const result = await runProgram("/bin/sh", ["-c", `${command} "$@"`, "backup-upload", file], {
    timeoutMs: options.timeoutMs,
    check: false,
    env: {
      ...(options.env ?? process.env),
      BACKUP_FILE: file,
      BACKUP_SHA256_FILE: `${file}${CHECKSUM_SUFFIX}`,
    },
  });
  const output = [result.stdout, result.stderr]
    .map((text) => lastLines(text, 20))
    .filter(Boolean)
    .join("\n");
  return {
    ok: result.exitCode === 0 && !result.timedOut,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    durationMs: Math.round(result.durationMs),
    output,
  };
}
