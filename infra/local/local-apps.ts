import { createWriteStream, type WriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { type AppProcess, type ExitStatus, launchApp, type ServerAppName } from "@accounts/devstack";

/** One app of the local stack and its log file. */
export interface LocalApp {
  readonly process: AppProcess;
  /** Ends the log file once the process has exited. */
  closeLog(): void;
}

const APPS: readonly ServerAppName[] = ["api", "worker", "scheduler"];
const COLORS: Record<ServerAppName, string> = { api: "36", worker: "35", scheduler: "33" };
const repoRoot = resolve(import.meta.dirname, "..", "..");

/**
 * Launches the three apps from their sources (tsx: edits apply at the next start, no build step).
 * Each line an app prints goes to the terminal behind an `[app]` prefix and, unprefixed, to
 * `<logDir>/<app>.log`. Returns at once; `process.start()` resolves once each is ready.
 */
export function startLocalApps(options: {
  env: NodeJS.ProcessEnv;
  logDir: string;
  readyTimeoutMs: number;
  /** Called when an app exits, whatever the reason. */
  onExit: (app: ServerAppName, status: ExitStatus) => void;
}): LocalApp[] {
  return APPS.map((app) => {
    const log: WriteStream = createWriteStream(join(options.logDir, `${app}.log`), { flags: "a" });
    const prefix = process.stdout.isTTY ? `\u001b[${COLORS[app]}m[${app}]\u001b[0m ` : `[${app}] `;
    const launched = launchApp({
      app,
      mode: "source",
      cwd: repoRoot,
      env: options.env,
      readyTimeoutMs: options.readyTimeoutMs,
      onExit: (status) => options.onExit(app, status),
      onLine: (line) => {
        process.stdout.write(`${prefix}${line}\n`);
        // Lines still in the pipe when the process exits come after the log was closed.
        if (!log.writableEnded) log.write(`${line}\n`);
      },
    });
    return { process: launched, closeLog: () => log.end() };
  });
}
