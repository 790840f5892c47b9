import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { findPostgresBinaries, type PostgresBinaries } from "./binaries.ts";
import { choosePort } from "./ports.ts";
import {
  ENDS_PROCESS,
  livePidFromFile,
  logTail,
  type ServerProcess,
  spawnServer,
  waitUntilReady,
} from "./server-process.ts";
import { handOver, postgresRunAs } from "./system-account.ts";

export interface PostgresOptions {
  /** Cluster folder; initialised with initdb when it holds no cluster yet. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one when omitted. 5432 is refused. */
  port?: number;
  /** Extra server settings, each passed as `-c name=value` (e.g. `{ fsync: "off" }`). */
  settings?: Record<string, string>;
  /** Where the server's output is appended. Default: `<dataDir>.log` (initdb wants an empty folder). */
  logFile?: string;
  /** No progress lines on stderr. */
  quiet?: boolean;
  /** Programs to use; found with findPostgresBinaries() when omitted. */
  binaries?: PostgresBinaries;
  /** How long to wait for the first accepted connection. Default 30 s. */
  startTimeoutMs?: number;
}

/** A PostgreSQL server running as a child of this process. */
export interface PostgresServer {
  readonly port: number;
  /** Superuser URL of the `postgres` database, e.g. `postgres://postgres@127.0.0.1:41873/postgres`. */
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly binaries: PostgresBinaries;
  /** Pid of the running postmaster (changes on restart). */
  readonly pid: number;
  /** Fast shutdown (SIGINT: open sessions are cut, the data is safe); resolves once it exited. */
  stop(): Promise<void>;
  /**
   * Sends `signal` (default SIGKILL) to the postmaster and all its backends, as a crash would.
   * Resolves once they exited; at once for signals that do not end a process (SIGSTOP, SIGCONT...).
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and folder (stopping it first if it runs); waits until ready. */
  restart(): Promise<void>;
}

const STOP_TIMEOUT_MS = 30_000;
/** sun_path holds 108 bytes on Linux, 104 on macOS. */
const MAX_SOCKET_PATH = 100;

/**
 * Starts PostgreSQL from `dataDir` (running initdb first when needed) as a child process bound
 * to 127.0.0.1, and waits until it accepts connections. The superuser is `postgres`, trust auth.
 * When this process is root, the server runs as the `postgres` system account.
 *
 * @example
 * const server = await startPostgres({ dataDir: "/tmp/pg", settings: { fsync: "off" } });
 * server.url; // "postgres://postgres@127.0.0.1:41873/postgres"
 * await server.kill("SIGKILL"); await server.restart(); // crash and recover
 * await server.stop();
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const binaries = options.binaries ?? findPostgresBinaries();
  const dataDir = resolve(options.dataDir);
  const logFile = resolve(options.logFile ?? `${dataDir}.log`);
  const port = await choosePort(options.port, "PostgreSQL");
  const runAs = postgresRunAs();
  const say = (line: string) => {
    if (!options.quiet) console.error(`[devstack] ${line}`);
  };

  prepareDataDir(dataDir, runAs);
  const running = livePidFromFile(join(dataDir, "postmaster.pid"), "postgres");
  if (running !== undefined) {
    throw new Error(
      `PostgreSQL (pid ${running}) is already running on ${dataDir}, probably left behind by an earlier ` +
        `run that was killed. Stop it with: kill -INT ${running}`,
    );
  }
  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    say(`initdb ${dataDir}`);
    await initdb(binaries, dataDir, logFile, runAs);
  }

  const socketDir = join(dataDir, `.s.PGSQL.${port}`).length <= MAX_SOCKET_PATH ? dataDir : "";
  const args = ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1"];
  // The socket lives in the cluster folder, never in /var/run/postgresql where the machine's own
  // server keeps its socket; on a too-long path we go without one (clients here use TCP).
  args.push("-c", `unix_socket_directories=${socketDir}`);
  for (const [name, value] of Object.entries(options.settings ?? {})) args.push("-c", `${name}=${value}`);

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const launch = async (): Promise<ServerProcess> => {
    const server = spawnServer({ command: binaries.postgres, args, cwd: dataDir, logFile, runAs });
    await waitUntilReady(server, () => acceptsConnections(url), { what: "PostgreSQL", logFile, timeoutMs });
    say(`PostgreSQL ready on ${url} (pid ${server.pid}, log ${logFile})`);
    return server;
  };
  let server = await launch();

  return {
    port,
    url,
    dataDir,
    logFile,
    binaries,
    get pid() {
      return server.pid;
    },
    stop: async () => {
      await server.stop("SIGINT", STOP_TIMEOUT_MS);
    },
    kill: async (signal = "SIGKILL") => {
      server.signalGroup(signal);
      if (ENDS_PROCESS.has(signal)) await server.exited;
    },
    restart: async () => {
      await server.stop("SIGINT", STOP_TIMEOUT_MS);
      server = await launch();
    },
  };
}

function prepareDataDir(dataDir: string, runAs: ReturnType<typeof postgresRunAs>): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!existsSync(join(dataDir, "PG_VERSION")) && readdirSync(dataDir).length > 0) {
    throw new Error(
      `${dataDir} is neither empty nor a PostgreSQL cluster; refusing to initdb over it. Remove it or pick another folder.`,
    );
  }
  if (runAs) handOver(dataDir, runAs);
}

async function initdb(
  binaries: PostgresBinaries,
  dataDir: string,
  logFile: string,
  runAs: ReturnType<typeof postgresRunAs>,
): Promise<void> {
  const args = ["-D", dataDir, "--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C"];
  const run = spawnServer({ command: binaries.initdb, args, cwd: dataDir, logFile, runAs });
  const { code, signal } = await run.exited;
  if (code !== 0) {
    throw new Error(
      `initdb failed (code ${code}, signal ${signal}). Last lines of ${logFile}:\n${logTail(logFile)}`,
    );
  }
}

async function acceptsConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    // refused, or "the database system is starting up": not yet
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
