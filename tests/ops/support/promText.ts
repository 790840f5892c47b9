/** One sample of Prometheus text: `name{label="value",...} 42`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses the Prometheus text exposition format into samples (comments skipped). Enough for tests:
 * label values with escaped quotes are kept escaped.
 *
 * @example
 * parsePrometheusText('accounts_queue_jobs{queue="ops-00",state="waiting"} 3')
 * // [{ name: "accounts_queue_jobs", labels: { queue: "ops-00", state: "waiting" }, value: 3 }]
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? "").matchAll(LABEL)) labels[label[1] as string] = label[2] as string;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples named `name` whose labels include every label of `where`. */
export function samplesOf(
  samples: readonly Sample[],
  name: string,
  where: Record<string, string> = {},
): Sample[] {
  return samples.filter(
    (sample) =>
      sample.name === name && Object.entries(where).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The sum of the values of {@link samplesOf}. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  return samplesOf(samples, name, where).reduce((sum, sample) => sum + sample.value, 0);
}

/** Fetches and parses a `/metrics` endpoint. */
export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return parsePrometheusText(await res.text());
}
