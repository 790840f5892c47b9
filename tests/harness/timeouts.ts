import { availableParallelism, loadavg } from "node:os";

/** Above this, a slower machine is a stuck test: fail rather than wait for ever. */
const MOST = 8;

/**
 * How much slower than an idle developer machine this one is likely to be now: 2 on CI (shared
 * runners), times the load per core when more is runnable than there are cores (other test runs,
 * other engineers' builds). `TEST_TIMEOUT_SCALE` sets it by hand. The vitest config computes it once
 * and hands it to every test process through that variable, so that all of them use one value.
 *
 * @example
 * machineSlowness(); // 1 on an idle laptop, 2 on an idle CI runner, 3.4 on a busy one
 */
export function machineSlowness(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.TEST_TIMEOUT_SCALE);
  if (Number.isFinite(set) && set > 0) return set;
  const ci = env.CI && env.CI !== "false" ? 2 : 1;
  const loadPerCore = (loadavg()[0] ?? 0) / availableParallelism();
  return Math.min(MOST, Math.round(ci * Math.max(1, loadPerCore) * 10) / 10);
}

/**
 * The limit for something that takes `idleMs` at most on an idle developer machine (a process
 * becoming ready, a test, a hook), scaled for this machine. For limits only: never sleep this long.
 *
 * @example
 * await waitFor(() => ready(url), { timeoutMs: scaledTimeout(20_000), message: "the API ready" });
 */
export function scaledTimeout(idleMs: number): number {
  return Math.round(idleMs * machineSlowness());
}
