import type { QueueKind, RedisClient } from "@accounts/queue";
import type { Queue } from "bullmq";

/** One queue of the catalog, opened: what the dashboard shows and the depth sampler counts. */
export interface OpenQueue {
  /** The catalog name (`ops-03`, `webhooks`, `maintenance`): the `queue` label. */
  name: string;
  kind: QueueKind;
  queue: Queue;
}

export interface QueueDepth {
  queue: string;
  kind: QueueKind;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Seconds since the oldest waiting job was added; 0 when none waits. */
  oldestWaitingAgeSeconds: number;
}

export interface QueueDepthSamplerOptions {
  /** A sample younger than this is reused: two Prometheus servers scraping cost one sample. */
  maxAgeMs?: number;
  /** A sample taking longer fails (a hung Redis must not hang /metrics). */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Job counts by state and the age of the oldest waiting job of every queue, read from Redis when
 * asked (at scrape time), cheaply: per queue one `getJobCounts` script and, for the oldest waiting
 * job, `LINDEX wait -1` (BullMQ pushes new jobs on the left and workers take from the right, so the
 * right end is the oldest) and one `HGET` of its `timestamp`, never the job's data (a partition job
 * carries up to hundreds of operations).
 *
 * The age counts from when the job was added. A webhook retry that comes back from `delayed` keeps
 * its first timestamp, so the "oldest job too old" alert watches the partition queues only.
 */
export class QueueDepthSampler {
  readonly #queues: readonly OpenQueue[];
  readonly #redis: RedisClient;
  readonly #maxAgeMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #last: { at: number; result: Promise<QueueDepth[]> } | undefined;

  /** `redis`: the connection the queues were opened on. */
  constructor(queues: readonly OpenQueue[], redis: RedisClient, options: QueueDepthSamplerOptions = {}) {
    this.#queues = queues;
    this.#redis = redis;
    this.#maxAgeMs = options.maxAgeMs ?? 2000;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#now = options.now ?? Date.now;
  }

  /** Every queue's depth; rejects when Redis does not answer within the timeout. */
  sample(): Promise<QueueDepth[]> {
    const now = this.#now();
    if (this.#last && now - this.#last.at < this.#maxAgeMs) return this.#last.result;
    const result = withTimeout(
      Promise.all(this.#queues.map((open) => this.#sampleOne(open, now))),
      this.#timeoutMs,
    );
    this.#last = { at: now, result };
    // A failed sample is not reused: the next scrape tries again.
    result.catch(() => {
      if (this.#last?.result === result) this.#last = undefined;
    });
    return result;
  }

  async #sampleOne({ name, kind, queue }: OpenQueue, now: number): Promise<QueueDepth> {
    const [counts, oldestId] = await Promise.all([
      queue.getJobCounts("wait", "active", "delayed", "failed", "prioritized"),
      this.#redis.lindex(queue.toKey("wait"), -1),
    ]);
    let oldestWaitingAgeSeconds = 0;
    if (oldestId) {
      const timestamp = Number(await this.#redis.hget(queue.toKey(oldestId), "timestamp"));
      if (timestamp > 0) oldestWaitingAgeSeconds = Math.max(0, (now - timestamp) / 1000);
    }
    return {
      queue: name,
      kind,
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      oldestWaitingAgeSeconds,
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
