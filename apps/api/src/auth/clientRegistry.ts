import { timingSafeEqual } from "node:crypto";
import { type ActiveClient, type Db, loadActiveClients } from "@accounts/db";
import { hashApiKey, isScope, type Scope } from "@accounts/domain";
import type { Logger } from "@accounts/runtime";
import type { AuthenticatedClient } from "../http/context.ts";

export interface ClientRegistryOptions {
  /** Reads every client that is not revoked (in production `loadActiveClients`). */
  load: () => Promise<ActiveClient[]>;
  log: Logger;
  /**
   * How often the registry is reloaded (`CLIENT_REFRESH_SECONDS`). A revoked key keeps working on
   * an instance for at most this long (plus one load's duration); a new key works at once (see
   * `missReloadIntervalMs`).
   */
  refreshIntervalMs: number;
  /**
   * A key not in the registry triggers an immediate reload (it may have been created a moment ago,
   * through another instance or the operator command), but at most one per this interval, so that
   * a brute forcer's unknown keys cannot hammer the database. Default 1,000 ms.
   */
  missReloadIntervalMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

interface Entry {
  keyHash: Buffer;
  client: AuthenticatedClient;
}

/**
 * The API clients that are not revoked, held in memory and keyed by the sha256 of their key, so
 * that authenticating a request costs one sha256 and one Map lookup, never a database round trip.
 *
 * Loaded at `start()`, then reloaded every `refreshIntervalMs`. When a reload fails (PostgreSQL
 * down) the last good snapshot keeps serving: the API accepts operations into Redis during a
 * database outage, and turning every caller away then would defeat that. `snapshotAgeMs()` tells
 * how stale it is, for health checks.
 *
 * Scopes unknown to this version (stored by a newer one) are ignored, never granted.
 *
 * @example
 * const registry = ClientRegistry.forDatabase(db, log, { refreshIntervalMs: 5_000 });
 * await registry.start();
 * const client = await registry.authenticate(key); // undefined: unknown or revoked
 * registry.close();
 */
export class ClientRegistry {
  readonly #load: () => Promise<ActiveClient[]>;
  readonly #log: Logger;
  readonly #refreshIntervalMs: number;
  readonly #missReloadIntervalMs: number;
  readonly #now: () => number;
  #byHash = new Map<string, Entry>();
  #loadedAt: number | undefined;
  #inFlight: Promise<void> | undefined;
  #lastMissReloadAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ClientRegistryOptions) {
    this.#load = options.load;
    this.#log = options.log;
    this.#refreshIntervalMs = options.refreshIntervalMs;
    this.#missReloadIntervalMs = options.missReloadIntervalMs ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  /** A registry that reads `api_clients` with `loadActiveClients`. */
  static forDatabase(
    db: Db,
    log: Logger,
    options: Omit<ClientRegistryOptions, "load" | "log">,
  ): ClientRegistry {
    return new ClientRegistry({ ...options, log, load: () => loadActiveClients(db) });
  }

  /** Loads the clients (rejects when that fails: nobody could authenticate) and starts the refresh timer. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        this.#log.warn(
          { err: error, snapshotAgeMs: this.snapshotAgeMs() },
          "reloading API clients failed; the previous snapshot stays in use",
        );
      });
    }, this.#refreshIntervalMs);
    this.#timer.unref();
  }

  /** Stops the refresh timer. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reloads now. Concurrent calls share one load. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.#reload().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Clients held now. */
  get size(): number {
    return this.#byHash.size;
  }

  /** Milliseconds since the last successful load; undefined before the first. */
  snapshotAgeMs(): number | undefined {
    return this.#loadedAt === undefined ? undefined : this.#now() - this.#loadedAt;
  }

  /** The client holding `key`, or undefined (unknown or revoked). Cost: one sha256 and a Map lookup. */
  async authenticate(key: string): Promise<AuthenticatedClient | undefined> {
    const keyHash = hashApiKey(key);
    const found = this.lookup(keyHash);
    if (found) return found;
    if (!(await this.#reloadAfterMiss())) return undefined;
    return this.lookup(keyHash);
  }

  /** The client whose key hashes to `keyHash`, from memory only. */
  lookup(keyHash: Buffer): AuthenticatedClient | undefined {
    const entry = this.#byHash.get(keyHash.toString("hex"));
    // The Map already matched the hash; the constant-time comparison is belt and braces (and what
    // a reviewer looks for): no byte-by-byte early exit on secret-derived data.
    if (!entry || entry.keyHash.length !== keyHash.length || !timingSafeEqual(entry.keyHash, keyHash)) {
      return undefined;
    }
    return entry.client;
  }

  /** Reloads after a miss unless one ran less than `missReloadIntervalMs` ago. True when it did (or joined one). */
  async #reloadAfterMiss(): Promise<boolean> {
    const now = this.#now();
    if (this.#inFlight === undefined && now - this.#lastMissReloadAt < this.#missReloadIntervalMs)
      return false;
    if (this.#inFlight === undefined) this.#lastMissReloadAt = now;
    try {
      await this.refresh();
      return true;
    } catch (error) {
      this.#log.warn({ err: error }, "reloading API clients after an unknown key failed");
      return false;
    }
  }

  async #reload(): Promise<void> {
    const rows = await this.#load();
    const next = new Map<string, Entry>();
    for (const row of rows) {
      const scopes = new Set<Scope>(row.scopes.filter(isScope));
      next.set(row.keyHash.toString("hex"), {
        keyHash: row.keyHash,
        client: { id: row.id, name: row.name, scopes, rateLimit: row.rateLimit },
      });
    }
    const previous = this.#byHash;
    this.#byHash = next;
    this.#loadedAt = this.#now();
    const added = [...next.keys()].filter((hash) => !previous.has(hash)).length;
    const removed = [...previous.keys()].filter((hash) => !next.has(hash)).length;
    // Logged when it changes, so an operator can see a revocation take effect.
    if (added > 0 || removed > 0)
      this.#log.info({ clients: next.size, added, removed }, "API clients reloaded");
  }
}
