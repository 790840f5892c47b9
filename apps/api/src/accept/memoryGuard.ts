import type { RedisClient } from "@accounts/queue";
import { Cluster } from "ioredis";

/**
 * Watches Redis memory so the API refuses new work (503) before Redis runs out: with
 * `maxmemory-policy noeviction` a full Redis rejects writes, and a job half-written is worse than
 * one refused. Samples `INFO memory` every `intervalMs`; without a maxmemory it never refuses.
 */
export class RedisMemoryGuard {
  #usedRatio = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly refuseAboveRatio: number,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    const sample = () => {
      this.sample().catch(() => {});
    };
    sample();
    this.#timer = setInterval(sample, this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The fullest node decides: on a cluster every master is sampled. */
  async sample(): Promise<number> {
    const nodes = this.redis instanceof Cluster ? this.redis.nodes("master") : [this.redis];
    const ratios = await Promise.all(
      nodes.map(async (node) => {
        const info = await node.info("memory");
        const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
        const max = Number(/maxmemory:(\d+)/.exec(info)?.[1] ?? 0);
        return max > 0 ? used / max : 0;
      }),
    );
    this.#usedRatio = Math.max(0, ...ratios);
    return this.#usedRatio;
  }

  /** True when Redis is too full to take more jobs safely. */
  isFull(): boolean {
    return this.#usedRatio >= this.refuseAboveRatio;
  }

  usedRatio(): number {
    return this.#usedRatio;
  }
}
