import type { CheckResult, HealthCheck } from "./health.ts";

/**
 * The latest latencies of one kind (accept, accept-to-finish), for the `performance` health check:
 * a fixed ring of samples with the time each was taken. Recording writes two numbers into typed
 * arrays (no allocation on the hot path); only the health check, a few times a minute, sorts.
 *
 * Prometheus histograms answer the same question over any range, but `/health` must answer on its
 * own, from this process, without a Prometheus server.
 *
 * @example
 * const accept = new RecentLatency();
 * accept.record(3.2);               // milliseconds
 * accept.quantile(0.95, 60_000);    // p95 of the last minute, or undefined without samples
 */
export class RecentLatency {
  readonly #values: Float64Array;
  readonly #times: Float64Array;
  readonly #now: () => number;
  #next = 0;
  #count = 0;

  constructor(capacity = 4096, now: () => number = () => performance.now()) {
    this.#values = new Float64Array(capacity);
    this.#times = new Float64Array(capacity);
    this.#now = now;
  }

  /** One latency in milliseconds. */
  record(ms: number): void {
    this.#values[this.#next] = ms;
    this.#times[this.#next] = this.#now();
    this.#next = (this.#next + 1) % this.#values.length;
    if (this.#count < this.#values.length) this.#count += 1;
  }

  /** The `q` quantile (0..1) of the samples of the last `windowMs`, and how many there were. */
  summary(q: number, windowMs: number): { value: number | undefined; samples: number } {
    const since = this.#now() - windowMs;
    const recent: number[] = [];
    for (let i = 0; i < this.#count; i++) {
      if ((this.#times[i] as number) >= since) recent.push(this.#values[i] as number);
    }
    if (recent.length === 0) return { value: undefined, samples: 0 };
    recent.sort((a, b) => a - b);
    const index = Math.min(recent.length - 1, Math.ceil(q * recent.length) - 1);
    return { value: recent[Math.max(0, index)], samples: recent.length };
  }

  quantile(q: number, windowMs: number): number | undefined {
    return this.summary(q, windowMs).value;
  }
}

export interface PerformanceCheckOptions {
  /** Named latencies, e.g. `{ accept: acceptLatency }`. */
  latencies: Record<string, RecentLatency>;
  /** `HEALTH_P95_THRESHOLD_MS`: a p95 above it makes the check `degraded`. */
  thresholdMs: number;
  /** How far back "recent" goes. Default one minute. */
  windowMs?: number;
}

/**
 * The `performance` check of `/health`: `degraded` (still 200: the instance works, slowly) when the
 * recent p95 of any of the latencies passes the threshold, with each p95 in `details`. Never
 * `unhealthy`: slowness alone is no reason to take an instance out.
 *
 * @example
 * runHealthChecks({ performance: performanceCheck({ latencies: { applied }, thresholdMs: 500 }) })
 */
export function performanceCheck(options: PerformanceCheckOptions): HealthCheck {
  const windowMs = options.windowMs ?? 60_000;
  return async (): Promise<CheckResult> => {
    const details: Record<string, unknown> = {
      thresholdMs: options.thresholdMs,
      windowSeconds: windowMs / 1000,
    };
    const slow: string[] = [];
    for (const [name, latency] of Object.entries(options.latencies)) {
      const { value, samples } = latency.summary(0.95, windowMs);
      details[`${name}P95Ms`] = value === undefined ? null : Math.round(value * 100) / 100;
      details[`${name}Samples`] = samples;
      if (value !== undefined && value > options.thresholdMs) slow.push(name);
    }
    if (slow.length === 0) return { status: "healthy", details };
    return { status: "degraded", details: { ...details, slow } };
  };
}
