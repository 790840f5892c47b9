import { accountKey, isSystemAccount } from "./accounts.ts";
import { formatAmount } from "./money.ts";
import type { Posting } from "./postings.ts";
import type { Bucket, Rejection } from "./schemas.ts";

/** A balance row in minor units. `version` counts the operations that changed it. */
export interface Balance {
  userId: string;
  currency: string;
  available: bigint;
  reserved: bigint;
  version: number;
}

/** One ledger line: a signed change of one bucket, with the bucket's balance right after it. */
export interface EntryDraft {
  seq: number;
  userId: string;
  currency: string;
  bucket: Bucket;
  amount: bigint;
  balanceAfter: bigint;
  /** The account's version after the operation that wrote this entry. */
  version: number;
}

export type BookOutcome =
  | { status: "applied"; entries: EntryDraft[]; touched: Balance[] }
  | { status: "rejected"; rejection: Rejection };

/**
 * The balances of one batch, held in memory while the batch's operations are applied in order.
 * Each operation is all or nothing: its postings are tried on a scratch copy and only kept when
 * every user bucket stays non-negative. System accounts (`@...`) may go negative.
 */
export class BalanceBook {
  readonly #current = new Map<string, Balance>();
  readonly #loadedVersion = new Map<string, number>();

  readonly #scales: ReadonlyMap<string, number>;

  /** `scales` (currency code to scale) is used to word rejection messages in the currency's units. */
  constructor(rows: Iterable<Balance>, scales: ReadonlyMap<string, number>) {
    this.#scales = scales;
    for (const row of rows) {
      const key = accountKey(row.userId, row.currency);
      this.#current.set(key, { ...row });
      this.#loadedVersion.set(key, row.version);
    }
  }

  /** The balance now (zeros at version 0 for an account that has no row). */
  get(userId: string, currency: string): Balance {
    return (
      this.#current.get(accountKey(userId, currency)) ?? {
        userId,
        currency,
        available: 0n,
        reserved: 0n,
        version: 0,
      }
    );
  }

  /**
   * Applies one operation's postings. Returns the entries and the touched accounts after it (live
   * objects: read them before the next `apply`), or the rejection, in which case nothing changed.
   */
  apply(postings: readonly Posting[]): BookOutcome {
    // A handful of accounts per operation: a small array beats a Map here (this is the hot loop of
    // the worker, run for every operation of a batch).
    const touched: Balance[] = [];
    const touch = (userId: string, currency: string): Balance => {
      for (const balance of touched) {
        if (balance.userId === userId && balance.currency === currency) return balance;
      }
      const current = this.#current.get(accountKey(userId, currency));
      const balance: Balance = current
        ? {
            userId,
            currency,
            available: current.available,
            reserved: current.reserved,
            version: current.version,
          }
        : { userId, currency, available: 0n, reserved: 0n, version: 0 };
      touched.push(balance);
      return balance;
    };
    const entries: EntryDraft[] = [];
    const owners: Balance[] = [];
    for (const posting of postings) {
      const from = touch(posting.from.userId, posting.currency);
      const to = touch(posting.to.userId, posting.currency);
      const fromAfter = from[posting.from.bucket] - posting.amount;
      if (fromAfter < 0n && !isSystemAccount(from.userId)) {
        return { status: "rejected", rejection: this.#insufficient(posting, from[posting.from.bucket]) };
      }
      from[posting.from.bucket] = fromAfter;
      entries.push({
        seq: entries.length,
        userId: from.userId,
        currency: posting.currency,
        bucket: posting.from.bucket,
        amount: -posting.amount,
        balanceAfter: fromAfter,
        version: 0,
      });
      owners.push(from);
      // `to` may be the same object as `from` (reserve and release move between buckets of one account).
      to[posting.to.bucket] += posting.amount;
      entries.push({
        seq: entries.length,
        userId: to.userId,
        currency: posting.currency,
        bucket: posting.to.bucket,
        amount: posting.amount,
        balanceAfter: to[posting.to.bucket],
        version: 0,
      });
      owners.push(to);
    }
    for (const balance of touched) {
      balance.version += 1;
      this.#current.set(accountKey(balance.userId, balance.currency), balance);
    }
    for (let i = 0; i < entries.length; i++)
      (entries[i] as EntryDraft).version = (owners[i] as Balance).version;
    return { status: "applied", entries, touched };
  }

  /**
   * Every account the applied operations changed: `loadedVersion` is the version its row had when it
   * was loaded (the guard of the UPDATE), or undefined for an account that has no row yet (an INSERT).
   */
  changes(): { balance: Balance; loadedVersion: number | undefined }[] {
    const changed: { balance: Balance; loadedVersion: number | undefined }[] = [];
    for (const [key, balance] of this.#current) {
      const loadedVersion = this.#loadedVersion.get(key);
      if (balance.version !== loadedVersion) changed.push({ balance: { ...balance }, loadedVersion });
    }
    return changed;
  }

  #insufficient(posting: Posting, has: bigint): Rejection {
    const scale = this.#scales.get(posting.currency) ?? 0;
    return {
      code: "insufficient_funds",
      message:
        `${posting.from.userId} has ${formatAmount(has, scale)} ${posting.currency} ${posting.from.bucket}, ` +
        `needs ${formatAmount(posting.amount, scale)}`,
    };
  }
}
