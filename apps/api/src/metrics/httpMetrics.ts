import type { Counter, Histogram } from "@accounts/runtime";

type CounterChild = ReturnType<Counter<"method" | "route" | "status">["labels"]>;
type HistogramChild = ReturnType<Histogram<"method" | "route">["labels"]>;

interface RouteSeries {
  method: string;
  route: string;
  duration: HistogramChild;
  byStatus: Map<number, CounterChild>;
}

/** Methods kept as they are; any other (a client may send anything) is counted as `OTHER`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The per-request HTTP series. Label children are looked up in nested maps (route, method, status)
 * and created once, so a request costs two map lookups and one counter increment plus one histogram
 * observation: no label object or key string is built per request.
 *
 * Labels stay bounded because `route` is a route pattern (or `(unmatched)`), `method` is one of a
 * fixed set and `status` is whatever codes the app answers with.
 */
export class HttpMetrics {
  readonly #series = new Map<string, Map<string, RouteSeries>>();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #duration: Histogram<"method" | "route">;

  constructor(requests: Counter<"method" | "route" | "status">, duration: Histogram<"method" | "route">) {
    this.#requests = requests;
    this.#duration = duration;
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const series = this.#seriesOf(METHODS.has(method) ? method : "OTHER", route);
    let counter = series.byStatus.get(status);
    if (!counter) {
      counter = this.#requests.labels(series.method, series.route, String(status));
      series.byStatus.set(status, counter);
    }
    counter.inc();
    series.duration.observe(seconds);
  }

  #seriesOf(method: string, route: string): RouteSeries {
    let byMethod = this.#series.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.#series.set(route, byMethod);
    }
    let series = byMethod.get(method);
    if (!series) {
      series = { method, route, duration: this.#duration.labels(method, route), byStatus: new Map() };
      byMethod.set(method, series);
    }
    return series;
  }
}
