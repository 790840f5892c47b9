import type { AppStack } from "@accounts/tests/harness";

/**
 * The base URL of the probe server (`/health`, `/ready`, `/metrics`) of a worker or the scheduler of
 * a test stack (the launcher gave it its port).
 *
 * @example
 * const worker = probeUrl(stack, "worker-1"); // "http://127.0.0.1:40123"
 */
export function probeUrl(stack: AppStack, processName: string): string {
  const process = stack.process(processName);
  if (process.app === "api") throw new Error(`${processName} has no probe server: use stack.apiUrl`);
  return new URL(process.readyUrl).origin;
}
