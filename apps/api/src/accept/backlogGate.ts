import { setTimeout as sleep } from "node:timers/promises";

export interface BacklogGateOptions {
  /** Waiting jobs on a partition from which a new job is held back. 0: never held. */
  maxWaitingJobs: number;
  /**
   * Waiting operations on a partition from which a new job is held back, estimated as its waiting
   * jobs times the size of the job to store (jobs of one partition are alike in size under a steady
   * load). 0 or absent: not counted. Bounds the backlog of batches (jobs of hundreds of operations),
   * which a count of jobs alone let grow to tens of thousands of operations.
   */
  maxWaitingOperations?: number;
  /** Longest a job is held (ms); it is then stored anyway, so nothing fails because of the gate. */
  maxHoldMs: number;
  /** How often a held partition's count is read again (ms); a count is reused for as long. */
  pollMs: number;
  /** Jobs waiting on a partition's queue (one Redis read). */
  waiting: (partition: number) => Promise<number>;
  /** Told when a partition starts being held (at most once per `pollMs` per partition). */
  onHold?: (partition: number, waiting: number) => void;
}

/**
 * Backpressure by latency: while the workers are behind on a partition (more than `maxWaitingJobs`
 * jobs waiting), the next job of that partition is held for up to `maxHoldMs` before it is stored.
 * The submitters wait for their 202 meanwhile, so callers that wait for answers slow down to about
 * the pace at which the partition is applied, and the submissions arriving meanwhile join the held
 * job (fewer, larger jobs). Without it, a closed-loop caller pushed accepting far past applying: the
 * backlog (and Redis memory, with `noeviction`) grew without bound and the API's CPU went to
 * accepting what the worker could not apply (docs/performance.md). A job is never refused here: after
 * `maxHoldMs` it is stored, so an outage of the workers only slows accepting down.
 *
 * @example
 * const gate = new BacklogGate({ maxWaitingJobs: 100, maxHoldMs: 250, pollMs: 10, waiting });
 * await gate.admit(partition, operations.length); // then store the job
 */
export class BacklogGate {
  readonly #options: BacklogGateOptions;
  readonly #counts = new Map<number, { at: number; value: Promise<number> }>();
  /** The last count read of each partition. */
  readonly #known = new Map<number, number>();

  constructor(options: BacklogGateOptions) {
    this.#options = options;
  }

  /**
   * Resolves when `partition` may take one more job of `operations` operations: at once, or when it
   * drained, or at the deadline.
   */
  async admit(partition: number, operations = 1): Promise<void> {
    const { maxWaitingJobs, maxHoldMs, pollMs } = this.#options;
    if (maxWaitingJobs <= 0) return;
    const maxOps = this.#options.maxWaitingOperations ?? 0;
    // In jobs of this size, the most that may wait before this one is held.
    const limit =
      maxOps > 0
        ? Math.min(maxWaitingJobs, Math.max(1, Math.floor(maxOps / Math.max(1, operations))))
        : maxWaitingJobs;
    // The last count known, when it was under the limit, lets the job through at once (a count
    // older than pollMs is read again meanwhile, for the next job). So a partition that keeps up pays
    // no round trip before its store (a sequential caller waited for one on every other request),
    // and one that falls behind is held from the next job on.
    const known = this.#known.get(partition);
    if (known !== undefined && known < limit) {
      void this.#waiting(partition);
      return;
    }
    const deadline = performance.now() + maxHoldMs;
    let held = false;
    for (;;) {
      const waiting = await this.#waiting(partition);
      if (waiting < limit) return;
      if (!held) this.#options.onHold?.(partition, waiting);
      held = true;
      const left = deadline - performance.now();
      if (left <= 0) return;
      await sleep(Math.min(pollMs, left));
    }
  }

  /**
   * A count learnt otherwise (the store of a job reads it in its own transaction): it serves as a
   * fresh read for `pollMs`, so a busy partition's count costs no command of its own.
   */
  observe(partition: number, waiting: number): void {
    this.#known.set(partition, waiting);
    this.#counts.set(partition, { at: performance.now(), value: Promise.resolve(waiting) });
  }

  /** The partition's waiting count, read at most once per `pollMs`; 0 when it cannot be read. */
  #waiting(partition: number): Promise<number> {
    const now = performance.now();
    const cached = this.#counts.get(partition);
    if (cached && now - cached.at < this.#options.pollMs) return cached.value;
    // A failed read does not hold anything: the store itself reports an unreachable Redis.
    const value = this.#options
      .waiting(partition)
      .catch(() => 0)
      .then((count) => {
        this.#known.set(partition, count);
        return count;
      });
    this.#counts.set(partition, { at: now, value });
    return value;
  }
}
