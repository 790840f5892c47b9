import type { Kysely } from "kysely";
import type { Database } from "../database.ts";
import { listCurrencies } from "./listCurrencies.ts";

/**
 * Currency scales held in memory. Currencies are only ever added, so a cache is safe; an unknown
 * code triggers a reload (another process may have just registered it), at most once per
 * `minReloadIntervalMs` so that a flood of unknown codes cannot hammer the database.
 *
 * @example
 * const currencies = new CurrencyCache(db);
 * const scales = await currencies.scalesFor(["BTC", "USDT"]); // Map { "BTC" => 8, "USDT" => 6 }
 */
export class CurrencyCache {
  #scales = new Map<string, number>();
  #loadedAt = 0;
  #loading: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly minReloadIntervalMs = 1000,
  ) {}

  /** Every known currency's scale, loading them once. */
  async all(): Promise<ReadonlyMap<string, number>> {
    if (this.#loadedAt === 0) await this.reload();
    return this.#scales;
  }

  /** The scales, reloaded first when one of `codes` is not known yet. */
  async scalesFor(codes: Iterable<string>): Promise<ReadonlyMap<string, number>> {
    const scales = await this.all();
    for (const code of codes) {
      if (!scales.has(code)) {
        if (Date.now() - this.#loadedAt >= this.minReloadIntervalMs) await this.reload();
        break;
      }
    }
    return this.#scales;
  }

  /** Loads the table again (deduplicated when called concurrently). */
  async reload(): Promise<void> {
    this.#loading ??= listCurrencies(this.db)
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
