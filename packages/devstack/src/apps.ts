import { join } from "node:path";

/** The programs of the repository, each `apps/<name>/src/main.ts`, built to `dist/<name>/main.js`. */
export const APP_NAMES = ["api", "worker", "scheduler", "ctl"] as const;
export type AppName = (typeof APP_NAMES)[number];

/** The long-running apps: they answer `/ready` on a port of their own. `ctl` runs and exits. */
export type ServerAppName = Exclude<AppName, "ctl">;

/**
 * How an app runs: `source` compiles its TypeScript at start through tsx's loader (`npm start`,
 * development: edits apply on restart, no build step); `built` is the bundle of `npm run build` run
 * by node alone, as in production (tests, the fault suite, the soak, the benchmark).
 */
export type LaunchMode = "source" | "built";

/**
 * The variable naming the port on which each server app answers `/ready`, `/health` and `/metrics`.
 * The apps' config.ts files own the defaults; a launcher always sets the port explicitly.
 */
export const READY_PORT_VARIABLE: Readonly<Record<ServerAppName, string>> = {
  api: "PORT",
  worker: "WORKER_METRICS_PORT",
  scheduler: "SCHEDULER_METRICS_PORT",
};

/** The app's entry point, relative to the repository root. */
export function sourceEntry(app: AppName): string {
  return join("apps", app, "src", "main.ts");
}

/** Where `npm run build` writes the app's bundle, relative to the folder it builds into. */
export function builtEntry(app: AppName): string {
  return join("dist", app, "main.js");
}

/**
 * The command line that runs `app`, to be started with the repository root (source) or the folder
 * holding `dist/` (built) as working directory. `nodeOptions` go before the script (profiling flags).
 *
 * @example
 * const { command, args } = appCommand("ctl", "built");
 * execFile(command, [...args, "clients", "list"], { cwd: root });
 */
export function appCommand(
  app: AppName,
  mode: LaunchMode,
  nodeOptions: readonly string[] = [],
): { command: string; args: string[] } {
  const entry =
    mode === "source"
      ? // tsx's loader only, not the tsx command: that wrapper relays signals to its child and
        // SIGKILLs it when the child does not confirm one within 30 ms, which under load killed
        // `npm start` before it could stop its PostgreSQL and Redis.
        ["--import", "tsx", sourceEntry(app)]
      : // Stack traces point into the TypeScript sources through the bundle's source map.
        ["--enable-source-maps", builtEntry(app)];
  return { command: process.execPath, args: [...nodeOptions, ...entry] };
}
