import type { BatchEntry, Outcome } from "./batchDelivery.ts";
import { ClientClosedError } from "./errors.ts";
import type { SubmitResult } from "./types.ts";

export interface BatchingOptions {
  /** Longest time (ms) a submission waits for company before its batch leaves (default 1). */
  windowMs?: number;
  /** Most operations in one batch request (default 1000, the API's limit). */
  maxOperations?: number;
  /** Most bytes of operations in one batch request (default 900 KiB; the API refuses bodies over 1 MiB). */
  maxBytes?: number;
  /** Most batch requests in flight at once (default 8); beyond, batches wait and grow. */
  maxConcurrentBatches?: number;
}

export type BatchingPolicy = Required<BatchingOptions>;

export const DEFAULT_BATCHING: BatchingPolicy = Object.freeze({
  windowMs: 1,
  maxOperations: 1000,
  maxBytes: 900 * 1024,
  maxConcurrentBatches: 8,
});

/** A submission waiting for its batch. */
interface Waiting extends BatchEntry {
  bytes: number;
  /** The users it touches: the unit of ordering. */
  users: readonly string[];
  resolve: (result: SubmitResult) => void;
  reject: (error: unknown) => void;
}

/** Sends one batch and answers one outcome per entry (`deliverBatch`, or a fake in unit tests). */
export type SendBatch = (entries: readonly BatchEntry[]) => Promise<Outcome[]>;

/**
 * Gathers concurrent `submit` calls into batch requests.
 *
 * A batch leaves when it holds `maxOperations` operations or `maxBytes` bytes, when `windowMs` has
 * passed since its first operation arrived, or, when no other batch is in flight, as soon as the
 * current turn of the event loop ends: nothing is in flight to wait for, and every submit made in
 * that turn (callers woken together by the previous answer) is already in it. Under load, batches
 * in flight make the next ones wait up to the window and grow; at rest, a lone submit is not delayed.
 *
 * Order: a batch carries its operations in submission order, and an operation that touches a user
 * of a batch still in flight (retries included) waits for that batch's answer, together with every
 * later operation of its users. So operations sharing a user reach the API in the order `submit` was
 * called, even from callers that do not await, and a retried batch can never be overtaken.
 */
export class SubmitBatcher {
  readonly #policy: BatchingPolicy;
  readonly #send: SendBatch;
  #waiting: Waiting[] = [];
  #waitingBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  /** Users of the batches in flight, with how many batches hold each. */
  readonly #busyUsers = new Map<string, number>();
  #inFlight = 0;
  /** Some waiting operations were held back (for order or the concurrency limit) at the last flush. */
  #holding = false;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(policy: BatchingPolicy, send: SendBatch) {
    this.#policy = policy;
    this.#send = send;
  }

  /** Queues one operation (already validated and serialised) and answers its own result. */
  submit(entry: BatchEntry, users: readonly string[]): Promise<SubmitResult> {
    if (this.#closed) return Promise.reject(new ClientClosedError());
    return new Promise<SubmitResult>((resolve, reject) => {
      const bytes = Buffer.byteLength(entry.json, "utf8") + 1;
      this.#waiting.push({ ...entry, bytes, users, resolve, reject });
      this.#waitingBytes += bytes;
      if (this.#waiting.length >= this.#policy.maxOperations || this.#waitingBytes >= this.#policy.maxBytes) {
        this.#flush();
      } else {
        this.#schedule();
      }
    });
  }

  /** Sends what waits without waiting for the window, and resolves once every batch is answered. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#flush();
    if (this.#waiting.length === 0 && this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Operations waiting and batches in flight (for tests and metrics). */
  stats(): { waiting: number; inFlight: number } {
    return { waiting: this.#waiting.length, inFlight: this.#inFlight };
  }

  #schedule(): void {
    if (this.#timer === undefined) this.#timer = setTimeout(() => this.#flush(), this.#policy.windowMs);
    if (this.#inFlight === 0 && this.#immediate === undefined) {
      this.#immediate = setImmediate(() => {
        this.#immediate = undefined;
        if (this.#inFlight === 0) this.#flush();
      });
    }
  }

  /** Sends every waiting operation that may go now, in as many batches as the limits ask. */
  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const held: Waiting[] = [];
    // Users of held operations: a later operation of theirs must not overtake them.
    const blocked = new Set<string>();
    let batch: Waiting[] = [];
    let bytes = 0;
    for (const item of this.#waiting) {
      if (
        batch.length > 0 &&
        (batch.length >= this.#policy.maxOperations || bytes + item.bytes > this.#policy.maxBytes)
      ) {
        // Full: it leaves now, and its users are busy from here on (for this item too).
        this.#start(batch);
        batch = [];
        bytes = 0;
      }
      const mustWait =
        this.#inFlight >= this.#policy.maxConcurrentBatches ||
        item.users.some((user) => blocked.has(user) || this.#busyUsers.has(user));
      if (mustWait) {
        held.push(item);
        for (const user of item.users) blocked.add(user);
        continue;
      }
      batch.push(item);
      bytes += item.bytes;
    }
    if (batch.length > 0) this.#start(batch);
    this.#waiting = held;
    this.#holding = held.length > 0;
    this.#waitingBytes = held.reduce((sum, item) => sum + item.bytes, 0);
  }

  #start(batch: Waiting[]): void {
    this.#inFlight += 1;
    const users = new Set<string>();
    for (const item of batch) for (const user of item.users) users.add(user);
    for (const user of users) this.#busyUsers.set(user, (this.#busyUsers.get(user) ?? 0) + 1);
    const settle = (outcomes: Outcome[] | undefined, failure?: unknown) => {
      // Free the users first: the callers woken below submit again, and their operations must see
      // this batch as answered.
      this.#inFlight -= 1;
      for (const user of users) {
        const count = (this.#busyUsers.get(user) ?? 1) - 1;
        if (count === 0) this.#busyUsers.delete(user);
        else this.#busyUsers.set(user, count);
      }
      batch.forEach((item, i) => {
        const outcome = outcomes?.[i];
        if (outcome?.ok) item.resolve(outcome.result);
        else item.reject(outcome ? outcome.error : failure);
      });
      this.#afterBatch();
    };
    this.#send(batch.map(({ json, idempotencyKey }) => ({ json, idempotencyKey }))).then(
      (outcomes) => settle(outcomes),
      (error: unknown) => settle(undefined, error),
    );
  }

  #afterBatch(): void {
    if (this.#waiting.length > 0) {
      // Operations held back for this batch may go now. When nothing else is in flight, wait for the
      // end of this turn first: the callers just answered are about to submit their next ones.
      // Others wait for their window.
      if (this.#closed) this.#flush();
      else if (this.#inFlight === 0) this.#schedule();
      else if (this.#holding) this.#flush();
    }
    if (this.#waiting.length === 0 && this.#inFlight === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}
