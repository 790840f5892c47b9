import { createHash } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { type ArchivingOptions, createStanza, type LocalArchive, prepareArchive } from "./archiving.ts";
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
  /**
   * Continuous WAL archiving into a pgBackRest repository beside the data folder (`archive_mode`,
   * `archive_command = pgbackrest ... archive-push %p`, `archive_timeout`); the stanza is created
   * once the server runs. Off when omitted.
   */
  archiving?: ArchivingOptions;
  /**
   * No TCP listener: the server is reached only through its Unix socket, in a folder only the server's
   * account (and root) may enter, and `url` names that socket. For a copy of a production database
   * (a point-in-time restore) that must not be reachable by other users of the machine meanwhile.
   */
  socketOnly?: boolean;
}

/** A PostgreSQL server running as a child of this process. */
export interface PostgresServer {
  readonly port: number;
  /**
   * Superuser URL of the `postgres` database, e.g. `postgres://postgres@127.0.0.1:41873/postgres`
   * (with `socketOnly`, the socket folder as the host: `postgres://postgres@%2Fsrv%2Fpg:41873/postgres`).
   */
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly binaries: PostgresBinaries;
  /** Pid of the running postmaster (changes on restart). */
  readonly pid: number;
  /** The pgBackRest repository it archives into, when started with `archiving`. */
  readonly archive: LocalArchive | undefined;
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

  const needsSocket = options.archiving !== undefined || options.socketOnly === true;
  const socketDir = chooseSocketDir(dataDir, port, needsSocket, runAs);
  const listen = options.socketOnly ? "" : "127.0.0.1";
  const args = ["-D", dataDir, "-p", String(port), "-c", `listen_addresses=${listen}`];
  // The socket lives in the cluster folder, never in /var/run/postgresql where the machine's own
  // server keeps its socket; on a too-long path we go without one (clients here use TCP).
  args.push("-c", `unix_socket_directories=${socketDir}`);
  const archive = options.archiving
    ? prepareArchive(options.archiving, { dataDir, port, socketDir, runAs })
    : undefined;
  const settings = { ...archive?.settings, ...options.settings };
  for (const [name, value] of Object.entries(settings)) args.push("-c", `${name}=${value}`);

  const url = options.socketOnly
    ? `postgres://postgres@${encodeURIComponent(socketDir)}:${port}/postgres`
    : `postgres://postgres@127.0.0.1:${port}/postgres`;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const launch = async (): Promise<ServerProcess> => {
    const server = spawnServer({ command: binaries.postgres, args, cwd: dataDir, logFile, runAs });
    await waitUntilReady(server, () => acceptsConnections(url), { what: "PostgreSQL", logFile, timeoutMs });
    say(`PostgreSQL ready on ${url} (pid ${server.pid}, log ${logFile})`);
    return server;
  };
  let server = await launch();
  if (archive) {
    try {
      await createStanza(archive, runAs);
    } catch (error) {
      await server.stop("SIGINT", STOP_TIMEOUT_MS);
      throw error;
    }
    say(`WAL archiving on: pgBackRest stanza ${archive.stanza}, repository ${archive.repoDir}`);
  }

  return {
    port,
    url,
    dataDir,
    logFile,
    binaries,
    archive,
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

/**
 * The folder of the server's Unix socket: the data folder when the socket's path fits in sun_path.
 * Otherwise the server goes without a socket (clients here use TCP), unless it needs one: pgBackRest
 * reaches the server only through its socket, and a socket-only server has nothing else. Then a
 * short private folder under the system's temporary folder takes its place.
 */
function chooseSocketDir(
  dataDir: string,
  port: number,
  needsSocket: boolean,
  runAs: ReturnType<typeof postgresRunAs>,
): string {
  if (join(dataDir, `.s.PGSQL.${port}`).length <= MAX_SOCKET_PATH) return dataDir;
  if (!needsSocket) return "";
  const short = join(tmpdir(), `pgsock-${createHash("sha256").update(dataDir).digest("hex").slice(0, 12)}`);
  mkdirSync(short, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(short, runAs.uid, runAs.gid);
  return short;
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
