import { finishedChannel, type RedisClient } from "@accounts/queue";

/**
 * Wakes long polls when workers announce finished operations (Redis Pub/Sub, one subscription per
 * API process). A message can be missed (a reconnect), so waiters also re-check on their own every
 * second: the notification only makes the common case fast.
 */
export class FinishedNotifier {
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #subscriber: RedisClient;

  constructor(subscriber: RedisClient, namespace: string) {
    this.#subscriber = subscriber;
    const channel = finishedChannel(namespace);
    subscriber.on("message", (received: string, message: string) => {
      if (received !== channel || this.#waiters.size === 0) return;
      for (const id of message.split(",")) {
        const waiting = this.#waiters.get(id);
        if (!waiting) continue;
        this.#waiters.delete(id);
        for (const wake of waiting) wake();
      }
    });
    subscriber.subscribe(channel).catch(() => {
      // Reconnects resubscribe; until then waiters fall back to re-checking.
    });
  }

  /**
   * Resolves when `id` is announced or after `ms`, whichever comes first.
   *
   * @example
   * await notifier.next("op_01J...", 1000)
   */
  next(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.#waiters.get(id) ?? new Set<() => void>();
      this.#waiters.set(id, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#waiters.get(id) === set) this.#waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  /** How many requests are waiting (for metrics). */
  waiting(): number {
    let total = 0;
    for (const set of this.#waiters.values()) total += set.size;
    return total;
  }

  close(): void {
    this.#subscriber.disconnect();
  }
}
