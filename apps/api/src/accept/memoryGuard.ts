import type { RedisClient } from "@accounts/queue";
import { sampleRedisMemory } from "../metrics/redisMemory.ts";

/**
 * Watches Redis memory so the API refuses new work (503) before Redis runs out: with
 * `maxmemory-policy noeviction` a full Redis rejects writes, and a job half-written is worse than
 * one refused. Samples `INFO memory` every `intervalMs`; without a maxmemory it never refuses.
 */
export class RedisMemoryGuard {
  readonly #redis: RedisClient;
  readonly #refuseAboveRatio: number;
  readonly #intervalMs: number;
  #usedRatio = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(redis: RedisClient, refuseAboveRatio: number, intervalMs = 1000) {
    this.#redis = redis;
    this.#refuseAboveRatio = refuseAboveRatio;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    const sample = () => {
      this.sample().catch(() => {});
    };
    sample();
    this.#timer = setInterval(sample, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * The fullest node decides: on a cluster every master is sampled. A node that does not answer
   * keeps the last ratio (the store itself reports an unreachable Redis).
   */
  async sample(): Promise<number> {
    const nodes = await sampleRedisMemory(this.#redis);
    if (nodes.some((node) => !node.up)) throw new Error("a Redis node did not answer INFO memory");
    this.#usedRatio = Math.max(
      0,
      ...nodes.map((node) => (node.maxBytes > 0 ? node.usedBytes / node.maxBytes : 0)),
    );
    return this.#usedRatio;
  }

  /** True when Redis is too full to take more jobs safely. */
  isFull(): boolean {
    return this.#usedRatio >= this.#refuseAboveRatio;
  }
}
