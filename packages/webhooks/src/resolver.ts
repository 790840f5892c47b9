import { lookup } from "node:dns/promises";

/** One address a hostname resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every A and AAAA address of a hostname. Injectable, so tests can make a name resolve anywhere. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/**
 * The system resolver (getaddrinfo: /etc/hosts, then DNS), all addresses of both families: the same
 * answers a plain connect would use, which is what the guard must judge.
 *
 * @example
 * await systemResolver("example.com") // [{ address: "93.184.215.14", family: 4 }, { address: "2606:2800:...", family: 6 }]
 */
export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
};

/**
 * A resolver that remembers answers (and failures) for `ttlMs`, for the submit path where the same
 * callback host comes again and again. Delivery uses a fresh answer: DNS may have changed since.
 *
 * @example
 * const resolve = cachingResolver(systemResolver, 5_000);
 */
export function cachingResolver(resolver: Resolver, ttlMs: number, maxEntries = 10_000): Resolver {
  const cache = new Map<string, { expires: number; answer: Promise<readonly ResolvedAddress[]> }>();
  return (hostname) => {
    const now = Date.now();
    const hit = cache.get(hostname);
    if (hit && hit.expires > now) return hit.answer;
    if (cache.size >= maxEntries) {
      for (const [key, entry] of cache) if (entry.expires <= now) cache.delete(key);
      // Still full of live entries: drop the oldest (Map keeps insertion order).
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    }
    const answer = resolver(hostname);
    cache.set(hostname, { expires: now + ttlMs, answer });
    return answer;
  };
}
