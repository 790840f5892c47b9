import { setTimeout as sleep } from "node:timers/promises";

export interface BacklogGateOptions {
  /** Waiting jobs on a partition from which a new job is held back. 0: never held. */
  maxWaitingJobs: number;
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
 * await gate.admit(partition); // then store the job
 */
export class BacklogGate {
  readonly #options: BacklogGateOptions;
  readonly #counts = new Map<number, { at: number; value: Promise<number> }>();

  constructor(options: BacklogGateOptions) {
    this.#options = options;
  }

  /** Resolves when `partition` may take one more job: at once, or when it drained, or at the deadline. */
  async admit(partition: number): Promise<void> {
    const { maxWaitingJobs, maxHoldMs, pollMs } = this.#options;
    if (maxWaitingJobs <= 0) return;
    const deadline = performance.now() + maxHoldMs;
    let held = false;
    for (;;) {
      const waiting = await this.#waiting(partition);
      if (waiting < maxWaitingJobs) return;
      if (!held) this.#options.onHold?.(partition, waiting);
      held = true;
      const left = deadline - performance.now();
      if (left <= 0) return;
      await sleep(Math.min(pollMs, left));
    }
  }

  /** The partition's waiting count, read at most once per `pollMs`; 0 when it cannot be read. */
  #waiting(partition: number): Promise<number> {
    const now = performance.now();
    const cached = this.#counts.get(partition);
    if (cached && now - cached.at < this.#options.pollMs) return cached.value;
    // A failed read does not hold anything: the store itself reports an unreachable Redis.
    const value = this.#options.waiting(partition).catch(() => 0);
    this.#counts.set(partition, { at: now, value });
    return value;
  }
}
