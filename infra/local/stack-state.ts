import { readFileSync, writeFileSync } from "node:fs";
import { freePort, isPortFree } from "@accounts/devstack";

/** What `.data/stack.json` remembers between two starts. */
export interface StackState {
  postgresPort?: number;
  redisPort?: number;
}

export function readStackState(file: string): StackState {
  try {
    const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const portOf = (value: unknown) => (Number.isInteger(value) ? (value as number) : undefined);
    const state: StackState = {};
    const postgresPort = portOf(raw.postgresPort);
    const redisPort = portOf(raw.redisPort);
    if (postgresPort) state.postgresPort = postgresPort;
    if (redisPort) state.redisPort = redisPort;
    return state;
  } catch {
    return {};
  }
}

export function writeStackState(file: string, state: StackState): void {
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * The port a local server gets: the one it had last time when still free (URLs in your shell
 * history and tools keep working), else the project's usual one, else any free port.
 */
export async function pickPort(saved: number | undefined, preferred: number): Promise<number> {
  for (const candidate of [saved, preferred]) {
    if (candidate !== undefined && (await isPortFree(candidate))) return candidate;
  }
  return freePort();
}
