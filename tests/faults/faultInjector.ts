import { setTimeout as sleep } from "node:timers/promises";
import type { PostgresServer, RedisServer } from "@accounts/devstack";
import { type AppStack, waitFor } from "@accounts/tests/harness";
import type { Random } from "../loadKit/random.ts";

export const FAULT_KINDS = ["worker", "api", "redis", "postgres"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultTargets {
  stack: AppStack;
  redis: RedisServer;
  postgres: PostgresServer;
}

export interface InjectedFault {
  kind: FaultKind;
  /** Which process: `worker-2`, `api`, `redis-server`, `postgres`. */
  target: string;
  /** How long it stayed down before it was started again (ms). */
  downMs: number;
  /** From the kill until the stack answered healthy again (ms). */
  recoveryMs: number;
}

/**
 * Kills one process with SIGKILL (its whole process group: PostgreSQL's backends die with the
 * postmaster, as in an immediate stop), leaves it down for a random moment, starts it again on the
 * same port and data, and waits until the stack reports itself healthy. Nothing is stopped
 * gracefully: this is a crash.
 *
 * @example
 * const fault = await injectFault("redis", { stack, redis, postgres }, random);
 * fault.recoveryMs; // 1840
 */
export async function injectFault(
  kind: FaultKind,
  targets: FaultTargets,
  random: Random,
  maxDownMs: number,
): Promise<InjectedFault> {
  const started = Date.now();
  // Servers stay down long enough, now and then, for clients to give up on their connections (BullMQ
  // workers re-arm blocking reads after drainDelay + 1 s): short and long outages both must heal.
  const downMs = random.int(0, kind === "api" || kind === "worker" ? 500 : maxDownMs);
  let target: string;
  switch (kind) {
    case "worker": {
      const workers = targets.stack.processes.filter((p) => p.app === "worker");
      const victim = random.pick(workers);
      target = victim.name;
      await victim.kill();
      await sleep(downMs);
      // Resolves once it answers /ready again.
      await victim.start();
      break;
    }
    case "api": {
      const api = targets.stack.process("api");
      target = api.name;
      await api.kill();
      await sleep(downMs);
      await api.start();
      break;
    }
    case "redis":
      target = "redis-server";
      await targets.redis.kill("SIGKILL");
      await sleep(downMs);
      await targets.redis.restart();
      break;
    case "postgres":
      target = "postgres";
      await targets.postgres.kill("SIGKILL");
      await sleep(downMs);
      await targets.postgres.restart();
      break;
  }
  await waitUntilHealthy(targets.stack);
  return { kind, target, downMs, recoveryMs: Date.now() - started };
}

/** Until the API is ready and its deep health check finds PostgreSQL and Redis up. */
export async function waitUntilHealthy(stack: AppStack, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      if (!(await answers200(`${stack.apiUrl}/ready`))) return false;
      const health = await fetch(`${stack.apiUrl}/health`, { signal: AbortSignal.timeout(5_000) });
      const body = (await health.json()) as { checks?: Record<string, { status?: string }> };
      return body.checks?.database?.status === "healthy" && body.checks.redis?.status === "healthy";
    },
    {
      timeoutMs,
      intervalMs: 100,
      message: "the stack healthy again (API ready, database and Redis healthy)",
    },
  );
}

async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}
