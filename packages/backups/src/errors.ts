/**
 * A backup file that must not be restored: its checksum does not match, its checksum file is missing,
 * or pg_restore cannot read it. Nothing was changed.
 */
export class BackupVerificationError extends Error {
  override readonly name = "BackupVerificationError";
}

/** A restore refused before it began (target not empty without `force`, bad target name). */
export class RestoreRefusedError extends Error {
  override readonly name = "RestoreRefusedError";
}

/** pg_dump, pg_restore or the upload command failed; the message carries the end of its output. */
export class ProgramFailedError extends Error {
  override readonly name = "ProgramFailedError";
  constructor(
    readonly program: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(
      `${program} failed (${exitCode === null ? "killed" : `exit code ${exitCode}`})${output ? `: ${output}` : ""}`,
    );
  }
}
