import { mkdirSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname } from "node:path";
import { handOver } from "@accounts/devstack";
import { RestoreRefusedError } from "../errors.ts";
import { type PgBackRest, runPgBackRest } from "../pgbackrest/pgBackRest.ts";
import type { BackupSet } from "../pgbackrest/repositoryInfo.ts";
import type { RecoveryTarget } from "./recoveryTarget.ts";

/**
 * Refuses a data folder that holds anything (a restore never writes over a cluster, least of all a
 * running primary), then creates it for the account pgBackRest and PostgreSQL run as.
 */
export function prepareNewDataFolder(dataDir: string, runAs: PgBackRest["runAs"]): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (entries.length > 0) {
    throw new RestoreRefusedError(
      `${dataDir} exists and is not empty: a point-in-time restore writes into a new folder only (never over ` +
        "a data folder, least of all a running primary's). Give --data-dir a new folder.",
    );
  }
  // Parents as any folder (the server's account must pass through them), the folder itself private.
  mkdirSync(dirname(dataDir), { recursive: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Gives it to that account and proves the account can reach it, naming the parent that blocks.
  if (runAs) handOver(dataDir, runAs);
}

/**
 * `pgbackrest restore` of one backup set into an empty folder, with the recovery settings that replay
 * the archived WAL up to `target` and then promote. Archiving is turned off in the restored cluster
 * (`--archive-mode=off`): a copy must never push its WAL into the repository unless it is made the
 * primary on purpose. Reports the restore's progress in percent, at most every 10%.
 *
 * @example
 * await restoreDataFolder(pgbr, { backup, target, dataDir: "/srv/restores/accounts-1014", onPercent: (p) => ... })
 */
export async function restoreDataFolder(
  pgbr: PgBackRest,
  options: {
    backup: BackupSet;
    target: RecoveryTarget;
    dataDir: string;
    onPercent?: (percent: number) => void;
  },
): Promise<{ durationMs: number }> {
  const recovery =
    options.target.kind === "latest"
      ? ["--type=default"]
      : ["--type=time", `--target=${options.target.postgres}`, "--target-action=promote"];
  let reported = 0;
  const result = await runPgBackRest(
    pgbr,
    "restore",
    [
      `--set=${options.backup.label}`,
      `--pg1-path=${options.dataDir}`,
      "--archive-mode=off",
      `--process-max=${Math.min(4, availableParallelism())}`,
      "--log-level-console=detail",
      ...recovery,
    ],
    {
      onLine: (line) => {
        // "P01 DETAIL: restore file /srv/.../base/5/1259 (112KB, 45.12%) checksum ..."
        const percent = /restore file .*\(.*?([\d.]+)%\)/.exec(line)?.[1];
        if (percent === undefined) return;
        const step = Math.floor(Number(percent) / 10) * 10;
        if (step > reported) {
          reported = step;
          options.onPercent?.(step);
        }
      },
    },
  );
  return { durationMs: Math.round(result.durationMs) };
}
