import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import { listCurrencies } from "./listCurrencies.ts";

/**
 * Currency scales held in memory. Currencies are only ever added, so a cache is safe. An unknown
 * code always triggers a reload (another process may have just registered it): one within
 * `minReloadIntervalMs` of the previous load WAITS for the interval to pass and then reloads, so an
 * answer is never older than the moment it was asked, while a flood of unknown codes costs at most
 * one load per interval (concurrent misses share it).
 *
 * @example
 * const currencies = new CurrencyCache(db);
 * const scales = await currencies.scalesFor(["BTC", "USDT"]); // Map { "BTC" => 8, "USDT" => 6 }
 */
export class CurrencyCache {
  #scales = new Map<string, number>();
  #loadedAt = 0;
  #startedAt = 0;
  #loading: Promise<void> | undefined;
  readonly #db: Kysely<Database>;
  readonly #minReloadIntervalMs: number;

  constructor(db: Kysely<Database>, minReloadIntervalMs = 100) {
    this.#db = db;
    this.#minReloadIntervalMs = minReloadIntervalMs;
  }

  /** Every known currency's scale, loading them once. */
  async all(): Promise<ReadonlyMap<string, number>> {
    if (this.#loadedAt === 0) await this.reload();
    return this.#scales;
  }

  /** The scales, reloaded first when one of `codes` is not known yet. */
  async scalesFor(codes: Iterable<string>): Promise<ReadonlyMap<string, number>> {
    const scales = await this.all();
    const missing = [...codes].some((code) => !scales.has(code));
    if (missing) {
      const askedAt = Date.now();
      const wait = this.#loadedAt + this.#minReloadIntervalMs - askedAt;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await this.reload();
      // A load already under way when we asked may have read the table before the new code was in.
      if (this.#startedAt < askedAt && [...codes].some((code) => !this.#scales.has(code)))
        await this.reload();
    }
    return this.#scales;
  }

  /** Loads the table again (deduplicated when called concurrently). */
  async reload(): Promise<void> {
    if (!this.#loading) this.#startedAt = Date.now();
    this.#loading ??= listCurrencies(this.#db)
      .then((rows) => {
        this.#scales = new Map(rows.map((row) => [row.code, row.scale]));
        this.#loadedAt = Date.now();
      })
      .finally(() => {
        this.#loading = undefined;
      });
    await this.#loading;
  }
}
