import type { ExitStatus, PostgresServer, RedisServer } from "@accounts/devstack";
import type { LocalApp } from "./local-apps.ts";

const APP_STOP_TIMEOUT_MS = 15_000;
/** A second SIGINT within this long of the first is the same Ctrl-C delivered twice, not a second press. */
const SAME_SIGNAL_MS = 1000;

/**
 * How `npm start` stops: the apps first (they drain while PostgreSQL and Redis are still up), then
 * the servers gracefully, and only then does the process exit. Whatever signals arrive and when,
 * it never exits with a server it started still running:
 *
 * - The first SIGINT, SIGTERM or SIGHUP starts the stop; a server start in progress is awaited so
 *   that the server is then stopped too.
 * - Copies of a signal are normal: a Ctrl-C reaches the whole process group and npm forwards it
 *   again; a supervisor's SIGTERM to the group does the same. Further SIGTERMs and SIGHUPs change
 *   nothing, nor does a SIGINT within a second of the first.
 * - A later SIGINT is a second Ctrl-C: the apps are killed at once instead of draining. The servers
 *   are still stopped properly (it takes a moment, and saves the Redis AOF and a PostgreSQL crash
 *   recovery); each is killed by its own stop timeout if it hangs.
 * - Anything that ends the process otherwise (an uncaught error, process.exit) kills every child
 *   through the devstack's exit hook. Only a SIGKILL of this process can leave servers behind.
 */
export class StopOrder {
  readonly servers: { postgres?: PostgresServer; redis?: RedisServer; standbys?: PostgresServer[] } = {};
  #apps: LocalApp[] = [];
  #stopping = false;
  #stoppingSince = 0;
  #appsKilled = false;
  #requested = false;
  /** A server start in progress: a signal waits for it, so that the server is then stopped properly. */
  #starting: Promise<unknown> = Promise.resolve();

  readonly #say: (line: string) => void;

  constructor(say: (line: string) => void) {
    this.#say = say;
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      // SIGHUP: the terminal closed; the servers, in process groups of their own, would not get it.
      process.on(signal, () => this.#onSignal(signal));
    }
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Stopping because a signal asked for it (errors of the interrupted start are expected then). */
  get requested(): boolean {
    return this.#requested;
  }

  /** Marks a server start in progress (see above). */
  serverStart<T>(start: Promise<T>): Promise<T> {
    this.#starting = start;
    return start;
  }

  /** The apps to stop first. */
  watchApps(apps: LocalApp[]): void {
    this.#apps = apps;
  }

  /** An app that exits on its own (not stopped by us) stops everything. */
  appExited(name: string, { code, signal }: ExitStatus): void {
    if (this.#stopping) return;
    console.error(
      `[start] ${name} exited unexpectedly (code ${code}, signal ${signal}); stopping everything`,
    );
    void this.shutdown(1);
  }

  /** Stops everything in order and exits with `code`; later calls wait for the first. */
  async shutdown(code: number, signal?: NodeJS.Signals): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#stoppingSince = Date.now();
    this.#requested = signal !== undefined;
    if (signal) this.#say(`${signal}: stopping (Ctrl-C again to kill the apps at once)`);
    await Promise.all(this.#apps.map((app) => app.process.stop(APP_STOP_TIMEOUT_MS)));
    for (const app of this.#apps) app.closeLog();
    await this.#starting.catch(() => {});
    const { redis, postgres, standbys = [] } = this.servers;
    // Standbys first: a primary that waits for a synchronous standby must not lose it before it stops.
    await Promise.allSettled(standbys.map((standby) => standby.stop()));
    await Promise.allSettled([redis?.stop(), postgres?.stop()]);
    if (this.#apps.length > 0 || redis || postgres) this.#say("stopped");
    process.exit(code);
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (!this.#stopping) {
      void this.shutdown(0, signal);
      return;
    }
    const secondPress = signal === "SIGINT" && Date.now() - this.#stoppingSince > SAME_SIGNAL_MS;
    if (!secondPress || this.#appsKilled) return;
    this.#appsKilled = true;
    this.#say("second Ctrl-C: killing the apps now; PostgreSQL and Redis still stop cleanly");
    for (const app of this.#apps) void app.process.kill();
  }
}
