import { chownSync, closeSync, openSync, readSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  findPostgresBinaries,
  type PostgresBinaries,
  type PostgresServer,
  postgresRunAs,
  startPostgres,
} from "@accounts/devstack";
import pg from "pg";
import { readRecoverySettings } from "./controlSettings.ts";
import { parseRecoveryLog, type RecoveryLog } from "./recoveryLog.ts";

/** Recovery of a restored folder failed: the server's own words, and what to do. */
export class RecoveryFailedError extends Error {
  override readonly name = "RecoveryFailedError";
}

export interface ReplayProgress {
  segmentsRestored: number;
  lastSegment: string | null;
  /** Commit time of the last transaction replayed so far, once the server answers queries. */
  replayedUpTo: string | null;
}

export interface ReplayOptions {
  dataDir: string;
  /** A free one when omitted. */
  port?: number;
  binaries?: PostgresBinaries;
  /** About every 2 s while WAL is replayed. */
  onProgress?: (progress: ReplayProgress) => void;
}

const POLL_MS = 500;
const PROGRESS_MS = 2000;
/** Replaying a week of WAL takes hours, not days. */
const REPLAY_LIMIT_MS = 48 * 3600_000;

/**
 * Starts PostgreSQL on a restored folder and waits until it has replayed the archived WAL up to its
 * recovery target and promoted itself. The server listens on its Unix socket only (no TCP), in a
 * folder only its account may enter, with a pg_hba.conf of its own that trusts those local
 * connections: the checks that follow need a superuser session, and the restored pg_hba.conf may not
 * allow one here.
 *
 * @example
 * const { server, log } = await replayToTarget({ dataDir: "/srv/restores/accounts-1014" });
 * log.stoppedAt // "before commit of transaction 726, time 2026-12-02 10:15:00.01+00"
 * @throws RecoveryFailedError "recovery ended before configured recovery target was reached: ..."
 */
export async function replayToTarget(
  options: ReplayOptions,
): Promise<{ server: PostgresServer; log: RecoveryLog; durationMs: number }> {
  const started = performance.now();
  const runAs = postgresRunAs();
  const hbaFile = join(options.dataDir, "pg_hba.restore.conf");
  writeFileSync(
    hbaFile,
    "# Written by the point-in-time restore: socket connections only, in a folder only the server's account may enter.\nlocal all all trust\n",
    { mode: 0o600 },
  );
  if (runAs) chownSync(hbaFile, runAs.uid, runAs.gid);
  const binaries = options.binaries ?? findPostgresBinaries();
  const required = await readRecoverySettings(options.dataDir, binaries, runAs);
  const logFile = `${options.dataDir}.log`;
  const reader = new LogReader(logFile);
  let lastShown = "";
  let replayedUpTo: string | null = null;
  const report = () => {
    const log = parseRecoveryLog(reader.lines());
    const progress = { segmentsRestored: log.segmentsRestored, lastSegment: log.lastSegment, replayedUpTo };
    const key = JSON.stringify(progress);
    if (key !== lastShown) {
      lastShown = key;
      options.onProgress?.(progress);
    }
  };
  const timer = setInterval(report, PROGRESS_MS);
  let server: PostgresServer | undefined;
  try {
    server = await startPostgres({
      dataDir: options.dataDir,
      ...(options.port === undefined ? {} : { port: options.port }),
      logFile,
      socketOnly: true,
      quiet: true,
      binaries,
      // Connections are accepted once the backup's end is replayed; that may take long.
      startTimeoutMs: REPLAY_LIMIT_MS,
      settings: { ...required, hba_file: hbaFile, archive_mode: "off" },
    }).catch((error: unknown) => {
      throw failure(reader, error);
    });
    const deadline = Date.now() + REPLAY_LIMIT_MS;
    for (;;) {
      let state: { recovering: boolean; replayed: string | null };
      try {
        state = await recoveryState(server.url);
      } catch (error) {
        throw failure(reader, error);
      }
      replayedUpTo = state.replayed ?? replayedUpTo;
      if (!state.recovering) break;
      if (Date.now() > deadline) {
        throw new RecoveryFailedError(
          `still recovering after ${REPLAY_LIMIT_MS / 3600_000} hours; see ${logFile}`,
        );
      }
      await sleep(POLL_MS);
    }
    clearInterval(timer);
    report();
    return {
      server,
      log: parseRecoveryLog(reader.lines()),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    clearInterval(timer);
    await server?.stop().catch(() => {});
    throw error;
  }
}

async function recoveryState(url: string): Promise<{ recovering: boolean; replayed: string | null }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ recovering: boolean; replayed: string | null }>(
      "SELECT pg_is_in_recovery() AS recovering, pg_last_xact_replay_timestamp()::text AS replayed",
    );
    return rows[0] ?? { recovering: true, replayed: null };
  } finally {
    await client.end().catch(() => {});
  }
}

const ADVICE: [RegExp, string][] = [
  [
    /recovery ended before configured recovery target was reached/,
    "the WAL archive ends before the target: it holds nothing committed that late (yet). Restore --to latest " +
      "for everything archived, or give an earlier time.",
  ],
  [
    /before consistent recovery point/,
    "the target falls inside the chosen backup: give a time after it ended, or let an older backup be used.",
  ],
];

/** The error to report: PostgreSQL's FATAL line when it gave up, with advice where we have some. */
function failure(reader: LogReader, cause: unknown): Error {
  const log = parseRecoveryLog(reader.lines());
  if (log.fatal) {
    const advice = ADVICE.find(([pattern]) => pattern.test(log.fatal ?? ""))?.[1];
    return new RecoveryFailedError(
      `recovery failed: ${log.fatal}${advice ? `; ${advice}` : ""} (log: ${reader.file})`,
      {
        cause,
      },
    );
  }
  return cause instanceof Error ? cause : new Error(String(cause));
}

/** Reads what a growing log file gained since the last call. */
class LogReader {
  readonly file: string;
  #offset = 0;
  #rest = "";
  readonly #lines: string[] = [];

  constructor(file: string) {
    this.file = file;
    try {
      this.#offset = statSync(file).size;
    } catch {
      this.#offset = 0;
    }
  }

  lines(): string[] {
    let fd: number;
    try {
      fd = openSync(this.file, "r");
    } catch {
      return this.#lines;
    }
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, this.#offset);
        if (read === 0) break;
        this.#offset += read;
        const parts = (this.#rest + buffer.subarray(0, read).toString("utf8")).split("\n");
        this.#rest = parts.pop() ?? "";
        this.#lines.push(...parts);
      }
    } finally {
      closeSync(fd);
    }
    return this.#lines;
  }
}
