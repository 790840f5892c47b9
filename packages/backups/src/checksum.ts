import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { CHECKSUM_SUFFIX } from "./backupFiles.ts";
import { BackupVerificationError } from "./errors.ts";

/**
 * The SHA-256 of a file, in hex, read as a stream (backups can be large).
 *
 * @example
 * await sha256OfFile("/var/backups/accounts/accounts-20261127T060000.000Z.dump") // "9f86d08188..."
 */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Writes `<file>.sha256` in the format of `sha256sum` (`<hex>  <file name>`), so that
 * `cd BACKUP_DIR && sha256sum -c accounts-....dump.sha256` checks a copy anywhere. Written to a
 * temporary name and renamed, so a crash never leaves half a checksum.
 *
 * @example
 * await writeChecksumFile("/backups/accounts-20261127T060000.000Z.dump", "9f86d081...")
 * // /backups/accounts-20261127T060000.000Z.dump.sha256: "9f86d081...  accounts-20261127T060000.000Z.dump\n"
 */
export async function writeChecksumFile(path: string, sha256: string): Promise<string> {
  const target = `${path}${CHECKSUM_SUFFIX}`;
  await writeFile(`${target}.tmp`, `${sha256}  ${basename(path)}\n`, { mode: 0o600 });
  await rename(`${target}.tmp`, target);
  return target;
}

/**
 * Checks a backup against its `.sha256` file before anything trusts it; returns the digest.
 *
 * @example
 * await verifyChecksum("/backups/accounts-20261127T060000.000Z.dump") // "9f86d081..."
 * @throws BackupVerificationError "checksum mismatch: ... is damaged or was changed ..."
 */
export async function verifyChecksum(path: string): Promise<string> {
  const checksumFile = `${path}${CHECKSUM_SUFFIX}`;
  let line: string;
  try {
    line = await readFile(checksumFile, "utf8");
  } catch {
    throw new BackupVerificationError(
      `no checksum file ${checksumFile}: a backup is only restored with the .sha256 written beside it`,
    );
  }
  const expected = /^([0-9a-f]{64})\s/i.exec(line)?.[1]?.toLowerCase();
  if (!expected) throw new BackupVerificationError(`${checksumFile} does not hold a SHA-256 digest`);
  const actual = await sha256OfFile(path);
  if (actual !== expected) {
    throw new BackupVerificationError(
      `checksum mismatch: ${basename(path)} has SHA-256 ${actual} but ${basename(checksumFile)} says ${expected}; ` +
        "the file is damaged or was changed after the backup. Restore another backup (or a verified off-site copy).",
    );
  }
  return actual;
}
