import { readFileSync } from "node:fs";
import { type AppStack, waitFor } from "@accounts/tests/harness";

const STARTED: Record<string, string> = { worker: "worker started", scheduler: "scheduler started" };

/**
 * The base URL of the probe server (`/health`, `/ready`, `/metrics`) of a worker or the scheduler of
 * a test stack. The harness picks their ports; each process logs its port when it has started, so
 * it is read from the stack's log.
 *
 * @example
 * const worker = await probeUrl(stack, "worker-1"); // "http://127.0.0.1:40123"
 */
export async function probeUrl(stack: AppStack, processName: string): Promise<string> {
  const app = stack.process(processName).app;
  const message = STARTED[app];
  if (!message) throw new Error(`${processName} has no probe server`);
  const port = await waitFor(
    () => {
      for (const line of readFileSync(stack.logFile, "utf8").split("\n")) {
        if (!line.startsWith(`[${processName}] {`)) continue;
        const entry = JSON.parse(line.slice(processName.length + 3)) as { msg?: string; port?: number };
        if (entry.msg === message && typeof entry.port === "number") return entry.port;
      }
      return undefined;
    },
    { timeoutMs: 30_000, message: `${processName} logging "${message}"` },
  );
  return `http://127.0.0.1:${port}`;
}
