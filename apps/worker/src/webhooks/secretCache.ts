import { type Db, getClientSecret } from "@accounts/db";

/**
 * Clients' webhook secrets, kept for `ttlMs` so that a burst of deliveries for one client reads the
 * secret once. A rotated secret is used after at most `ttlMs`. Secrets stay in memory only: never
 * logged, never in job data.
 */
export class SecretCache {
  readonly #entries = new Map<string, { expires: number; secret: Promise<string | undefined> }>();
  readonly #db: Db;
  readonly #ttlMs: number;

  constructor(db: Db, ttlMs = 60_000) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  get(clientId: string): Promise<string | undefined> {
    const now = Date.now();
    const hit = this.#entries.get(clientId);
    if (hit && hit.expires > now) return hit.secret;
    const secret = getClientSecret(this.#db, clientId);
    this.#entries.set(clientId, { expires: now + this.#ttlMs, secret });
    // A failed read (database away) is not remembered.
    secret.catch(() => this.#entries.delete(clientId));
    return secret;
  }
}
