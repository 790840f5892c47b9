/** A metric selector found in a PromQL expression: `name{label="value"}`. */
export interface Selector {
  metric: string;
  labels: string[];
}

/**
 * Metrics of the apps and exporters are found by their prefixes; anything else in an expression is
 * a function, a keyword, a label or a number. `up` is Prometheus's own.
 */
const SELECTOR = /\b((?:accounts|process|nodejs|pg|redis)_[a-zA-Z0-9_]+|up)\b(?!\s*\()(\s*\{([^}]*)\})?/g;
const LABEL_MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g;

/**
 * The metric selectors of a PromQL expression, with the label names they match on. Quoted label
 * values are blanked first, so that a route such as "/v1/operations" is never taken for a metric.
 *
 * @example
 * selectorsOf('max by (queue) (accounts_queue_jobs{state="waiting"}) > up')
 * // [{ metric: "accounts_queue_jobs", labels: ["state"] }, { metric: "up", labels: [] }]
 */
export function selectorsOf(expression: string): Selector[] {
  const blanked = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const selectors: Selector[] = [];
  for (const match of blanked.matchAll(SELECTOR)) {
    const labels = [...(match[3] ?? "").matchAll(LABEL_MATCHER)].map((label) => label[1] as string);
    selectors.push({ metric: match[1] as string, labels });
  }
  return selectors;
}
