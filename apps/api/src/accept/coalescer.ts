/**
 * Coalesces concurrent submissions for the same partition into one queue job: a group commit.
 *
 * Per partition at most one store is in flight. When none is, what was submitted is stored at the
 * end of the current event loop turn (with every submission of that turn), without waiting for
 * company: a lone caller pays one Redis round trip, not a timer. While a store is in flight, new
 * submissions gather, and they leave as the next job the moment it settles (or when `maxItems` are
 * waiting). So under load jobs grow with the load instead of Redis round trips multiplying, and at
 * rest nothing is delayed. Every submitter's promise settles when its job's store settles. Stores of
 * one partition happen one after the other, in submission order: that is the acceptance order the
 * workers apply.
 */

export interface CoalescerOptions<T> {
  /**
   * Extra time (ms) a submission waits for company when no store of its partition is in flight.
   * 0 (the default of the API): stored at the end of the current event loop turn.
   */
  maxWaitMs: number;
  /** Most items in one job. */
  maxItems: number;
  /** Stores one job of items of one partition; rejects when they could not be stored durably. */
  store: (partition: number, items: T[]) => Promise<void>;
}

interface Group<T> {
  items: readonly T[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface PartitionBuffer<T> {
  /** Submissions waiting, in order; each is stored whole, in one job. */
  groups: Group<T>[];
  size: number;
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  storing: boolean;
}

export class Coalescer<T> {
  readonly #options: CoalescerOptions<T>;
  readonly #buffers = new Map<number, PartitionBuffer<T>>();
  #jobsStored = 0;
  #itemsStored = 0;

  constructor(options: CoalescerOptions<T>) {
    if (options.maxItems < 1) throw new RangeError("maxItems must be at least 1");
    this.#options = options;
  }

  /**
   * Queues `items` for `partition`, in order and in one job (a submission larger than `maxItems` is
   * split into consecutive jobs). Resolves once they are stored; rejects with the store's error.
   */
  submit(partition: number, items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const max = this.#options.maxItems;
    if (items.length > max) {
      const parts: Promise<void>[] = [];
      for (let i = 0; i < items.length; i += max) parts.push(this.submit(partition, items.slice(i, i + max)));
      return Promise.all(parts).then(() => undefined);
    }
    let buffer = this.#buffers.get(partition);
    if (!buffer) {
      buffer = { groups: [], size: 0, timer: undefined, storing: false };
      this.#buffers.set(partition, buffer);
    }
    const target = buffer;
    const done = new Promise<void>((resolve, reject) => {
      target.groups.push({ items, resolve, reject });
      target.size += items.length;
    });
    if (target.size >= max) this.#flush(partition, target);
    else this.#schedule(partition, target);
    return done;
  }

  /** Jobs and items stored so far (for metrics and the benchmark). */
  stats(): { jobs: number; items: number } {
    return { jobs: this.#jobsStored, items: this.#itemsStored };
  }

  #schedule(partition: number, buffer: PartitionBuffer<T>): void {
    if (buffer.timer !== undefined || buffer.storing || buffer.size === 0) return;
    const fire = () => {
      buffer.timer = undefined;
      this.#flush(partition, buffer);
    };
    buffer.timer =
      this.#options.maxWaitMs <= 0 ? setImmediate(fire) : setTimeout(fire, this.#options.maxWaitMs);
  }

  #flush(partition: number, buffer: PartitionBuffer<T>): void {
    if (buffer.storing || buffer.size === 0) return;
    if (buffer.timer !== undefined) {
      clearTimeout(buffer.timer as NodeJS.Timeout);
      clearImmediate(buffer.timer as NodeJS.Immediate);
      buffer.timer = undefined;
    }
    // Take whole submissions, in order, up to maxItems (always at least one).
    const taken: Group<T>[] = [];
    let count = 0;
    while (buffer.groups.length > 0) {
      const next = buffer.groups[0] as Group<T>;
      if (taken.length > 0 && count + next.items.length > this.#options.maxItems) break;
      taken.push(next);
      buffer.groups.shift();
      count += next.items.length;
    }
    buffer.size -= count;
    buffer.storing = true;
    const items = taken.flatMap((group) => group.items);
    this.#options
      .store(partition, items)
      .then(
        () => {
          this.#jobsStored += 1;
          this.#itemsStored += items.length;
          for (const group of taken) group.resolve();
        },
        (error: unknown) => {
          for (const group of taken) group.reject(error);
        },
      )
      .finally(() => {
        buffer.storing = false;
        // What arrived while storing is the next job: store it at once, it has waited already.
        if (buffer.size > 0) this.#flush(partition, buffer);
      });
  }
}
