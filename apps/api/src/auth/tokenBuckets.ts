/** The answer of a bucket: go ahead, or come back in so many seconds (an integer, at least 1). */
export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export interface TokenBucketsOptions {
  /**
   * Most keys remembered. Past it the least recently used key is forgotten, which only ever
   * forgives: a forgotten key starts again with a full bucket.
   */
  maxKeys: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/**
 * Token buckets keyed by a string (a client id, an IP address), in one bounded map. Each call is
 * O(1): a bucket is refilled lazily from the time elapsed since it was last touched, and the map's
 * insertion order doubles as the LRU order (a touched key is re-inserted at the end).
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: TokenBucketsOptions) {
    if (!(options.maxKeys >= 1)) throw new RangeError("maxKeys must be at least 1");
    this.#maxKeys = options.maxKeys;
    this.#now = options.now ?? Date.now;
  }

  /** Keys remembered now (at most `maxKeys`). */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one token from `key`'s bucket, which holds at most `capacity` tokens and regains
   * `ratePerSecond` per second. Refused (and nothing taken) when less than one token is left.
   */
  take(key: string, ratePerSecond: number, capacity: number): TakeResult {
    const bucket = this.#touch(key, ratePerSecond, capacity);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: secondsUntilOneToken(bucket.tokens, ratePerSecond) };
  }

  /** Seconds until `key`'s bucket holds a whole token: 0 when it holds one now. Takes nothing. */
  waitSeconds(key: string, ratePerSecond: number, capacity: number): number {
    const bucket = this.#buckets.get(key);
    if (!bucket) return 0;
    const tokens = refilled(bucket, this.#now(), ratePerSecond, capacity);
    return tokens >= 1 ? 0 : secondsUntilOneToken(tokens, ratePerSecond);
  }

  /** Tokens left in `key`'s bucket now (a full bucket for a key never seen). */
  tokens(key: string, ratePerSecond: number, capacity: number): number {
    const bucket = this.#buckets.get(key);
    return bucket ? refilled(bucket, this.#now(), ratePerSecond, capacity) : capacity;
  }

  #touch(key: string, ratePerSecond: number, capacity: number): Bucket {
    const now = this.#now();
    const existing = this.#buckets.get(key);
    if (existing) {
      existing.tokens = refilled(existing, now, ratePerSecond, capacity);
      existing.at = now;
      // Re-insert to move the key to the most recently used end.
      this.#buckets.delete(key);
      this.#buckets.set(key, existing);
      return existing;
    }
    const bucket: Bucket = { tokens: capacity, at: now };
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
    return bucket;
  }
}

/**
 * Refill arithmetic is in floating point (1/3 token per second is not exact): a bucket within this
 * much of a whole token counts as holding it, so that a caller who waited the announced seconds is
 * not refused for a rounding error.
 */
const EPSILON = 1e-9;

function refilled(bucket: Bucket, now: number, ratePerSecond: number, capacity: number): number {
  // A clock that steps back never drains a bucket.
  const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
  const tokens = Math.min(capacity, bucket.tokens + elapsedSeconds * ratePerSecond);
  return tokens > 1 - EPSILON && tokens < 1 ? 1 : tokens;
}

function secondsUntilOneToken(tokens: number, ratePerSecond: number): number {
  return Math.max(1, Math.ceil((1 - tokens) / ratePerSecond - EPSILON));
}
