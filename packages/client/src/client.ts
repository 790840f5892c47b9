import { randomUUID } from "node:crypto";
import { type BatchEntry, deliverBatch } from "./batchDelivery.ts";
import { SubmitBatcher } from "./batcher.ts";
import { type AccountsError, ClientClosedError, NotFoundError, WaitTimeoutError } from "./errors.ts";
import { type AccountsClientOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { Transport } from "./transport.ts";
import type {
  AccountBalance,
  Balance,
  BalancesAnswer,
  BatchItem,
  CurrenciesAnswer,
  Currency,
  DeliveriesAnswer,
  DeliveryAttempt,
  EntriesAnswer,
  Entry,
  Operation,
  OperationRequest,
  SubmitAnswer,
  SubmitResult,
} from "./types.ts";
import { invalidOperation, operationErrors, usersOf } from "./validate.ts";

export interface SubmitOptions {
  /**
   * 1-255 visible ASCII characters, unique per operation for this API client. Give one derived from
   * your own data (`settle-8812-1`) to stay safe across a crash of your process; without one the
   * client generates a UUID, which protects its own retries.
   */
  idempotencyKey?: string;
}

export interface WaitOptions {
  /** How long to wait for the operation to be final (default 30 s). */
  timeoutMs?: number;
}

/** One result of `submitMany`, in request order. */
export type BatchItemResult =
  | ({ ok: true } & SubmitResult)
  | { ok: false; error: AccountsError; idempotencyKey: string };

export interface EntriesOptions {
  /** Only this currency's entries. */
  currency?: string;
  /** Entries per request (1-1000, default 100); the iterator fetches page after page. */
  pageSize?: number;
  /** Start after this `nextCursor` of an earlier page. */
  cursor?: string;
}

const MAX_WAIT_SECONDS = 30;
const FINAL = new Set(["applied", "rejected"]);

/**
 * The client of the accounts processor's HTTP API.
 *
 * @example
 * const accounts = new AccountsClient({ baseUrl: "http://127.0.0.1:3000", apiKey: process.env.ACCOUNTS_API_KEY });
 * const { id } = await accounts.submit({ type: "credit", account: { userId: "alice", currency: "BTC" }, amount: "0.5" });
 * const operation = await accounts.waitForOperation(id);
 */
export class AccountsClient {
  readonly #options: ResolvedOptions;
  readonly #transport: Transport;
  readonly #batcher: SubmitBatcher | undefined;
  #closed = false;

  constructor(options: AccountsClientOptions) {
    this.#options = resolveOptions(options);
    this.#transport = new Transport({
      baseUrl: this.#options.baseUrl,
      apiKey: this.#options.apiKey,
      timeoutMs: this.#options.timeoutMs,
      retry: this.#options.retry,
      fetch: this.#options.fetch,
      userAgent: `accounts-client node/${process.versions.node}`,
      onRetry: this.#options.onRetry,
    });
    const batching = this.#options.batching;
    this.#batcher = batching
      ? new SubmitBatcher(batching, (entries) =>
          deliverBatch(this.#transport, entries, { isolateInvalid: true }),
        )
      : undefined;
  }

  /**
   * Submits one operation and answers once the API accepted it durably (`{ id, status }`), not once
   * it is applied. Concurrent calls are sent together in batch requests; each caller gets its own
   * result or error. Retried with the same idempotency key until accepted or the retry budget is
   * spent, so never applied twice.
   *
   * @example
   * const { id } = await accounts.submit(
   *   { type: "reserve", account: { userId: "alice", currency: "BTC" }, amount: "0.1" },
   *   { idempotencyKey: "order-991-hold" },
   * );
   */
  async submit(operation: OperationRequest, options: SubmitOptions = {}): Promise<SubmitResult> {
    if (this.#closed) throw new ClientClosedError();
    const errors = operationErrors(operation);
    if (errors.length > 0) throw invalidOperation(errors);
    const idempotencyKey = keyOf(options.idempotencyKey);
    if (this.#batcher) {
      const json = JSON.stringify({ idempotencyKey, ...operation });
      return this.#batcher.submit({ json, idempotencyKey }, usersOf(operation));
    }
    const answer = await this.#transport.send<SubmitAnswer>({
      method: "POST",
      path: "/v1/operations",
      body: JSON.stringify(operation),
      headers: { "idempotency-key": idempotencyKey },
    });
    return {
      id: answer.body.id,
      status: answer.body.status,
      replayed: answer.headers.get("idempotent-replayed") === "true",
      idempotencyKey,
    };
  }

  /**
   * Submits one operation and waits (long poll) until it is final: `applied`, or `rejected` with
   * its `rejection` (a business rule such as insufficient funds: a result, not an error).
   * Throws {@link WaitTimeoutError} when `timeoutMs` passes first; the operation stays accepted.
   *
   * @example
   * const op = await accounts.submitAndWait(debit, { timeoutMs: 10_000 });
   * if (op.status === "rejected") console.log(op.rejection?.code); // "insufficient_funds"
   */
  async submitAndWait(
    operation: OperationRequest,
    options: SubmitOptions & WaitOptions = {},
  ): Promise<Operation> {
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? 30_000;
    const submitted = await this.submit(operation, options);
    return this.#wait(submitted.id, started + timeoutMs, timeoutMs, true);
  }

  /**
   * Submits up to 1000 operations in one request (`POST /v1/operations/batch`) and answers one
   * result per operation, in order. Each is its own operation (not atomic across items). The batch
   * is validated whole: any invalid item throws {@link InvalidRequestError} naming it
   * (`operations.3.amount`) and nothing is accepted. Items without an `idempotencyKey` get one.
   *
   * @example
   * const results = await accounts.submitMany([
   *   { type: "credit", account: { userId: "alice", currency: "USDT" }, amount: "100", idempotencyKey: "dep-1" },
   *   { type: "credit", account: { userId: "bob", currency: "USDT" }, amount: "250", idempotencyKey: "dep-2" },
   * ]);
   */
  async submitMany(operations: readonly BatchItem[]): Promise<BatchItemResult[]> {
    if (this.#closed) throw new ClientClosedError();
    if (!Array.isArray(operations) || operations.length === 0 || operations.length > 1000) {
      throw invalidOperation(
        [{ path: "operations", message: "must be an array of 1 to 1000 operations" }],
        "the batch is invalid",
      );
    }
    const errors = operations.flatMap((item, i) => {
      const { idempotencyKey: _key, ...operation } = (item ?? {}) as BatchItem;
      return operationErrors(operation, `operations.${i}.`);
    });
    if (errors.length > 0) throw invalidOperation(errors, "the batch is invalid");
    const entries: BatchEntry[] = operations.map((item) => {
      const idempotencyKey = keyOf(item.idempotencyKey);
      return { json: JSON.stringify({ ...item, idempotencyKey }), idempotencyKey };
    });
    const outcomes = await deliverBatch(this.#transport, entries, { isolateInvalid: false });
    // One error for every item: the request as a whole failed (refused, unauthorised, no answer).
    const first = outcomes[0];
    if (first && !first.ok && outcomes.every((o) => !o.ok && o.error === first.error)) throw first.error;
    return outcomes.map((outcome, i) =>
      outcome.ok
        ? { ok: true, ...outcome.result }
        : { ok: false, error: outcome.error, idempotencyKey: (entries[i] as BatchEntry).idempotencyKey },
    );
  }

  /**
   * An operation's representation. With `waitSeconds` (0-30, fractions allowed), the API holds the
   * request until the operation is final or the time passes (long poll).
   *
   * @example
   * const op = await accounts.getOperation(id, { waitSeconds: 5 });
   */
  async getOperation(id: string, options: { waitSeconds?: number } = {}): Promise<Operation> {
    const wait = options.waitSeconds;
    if (wait !== undefined && !(wait >= 0 && wait <= MAX_WAIT_SECONDS)) {
      throw new RangeError(`waitSeconds must be 0 to ${MAX_WAIT_SECONDS}, got ${wait}`);
    }
    const answer = await this.#transport.send<Operation>({
      method: "GET",
      path: `/v1/operations/${encodeURIComponent(id)}${wait === undefined ? "" : `?wait=${wait}`}`,
      timeoutMs: this.#options.timeoutMs + (wait ?? 0) * 1000,
    });
    return answer.body;
  }

  /**
   * Waits (long poll) until an operation is final (`applied` or `rejected`) and returns it; throws
   * {@link WaitTimeoutError} after `timeoutMs` (default 30 s). A `failed` operation is not final
   * (an operator retries it): the wait goes on.
   */
  async waitForOperation(id: string, options: WaitOptions = {}): Promise<Operation> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    return this.#wait(id, Date.now() + timeoutMs, timeoutMs, false);
  }

  async #wait(id: string, deadline: number, timeoutMs: number, justAccepted: boolean): Promise<Operation> {
    let last: Operation | undefined;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeoutError(id, last, timeoutMs);
      try {
        last = await this.getOperation(id, { waitSeconds: Math.min(MAX_WAIT_SECONDS, left / 1000) });
        if (FINAL.has(last.status)) return last;
      } catch (error) {
        // Right after a 202 an operation can be unknown to reads for a moment (its pending record
        // was not written; it is readable once applied): keep polling until the deadline.
        if (!(justAccepted && error instanceof NotFoundError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(0, left))));
      }
    }
  }

  /** The webhook delivery attempts of one of this client's operations, oldest first. */
  async deliveries(id: string): Promise<DeliveryAttempt[]> {
    const answer = await this.#transport.send<DeliveriesAnswer>({
      method: "GET",
      path: `/v1/operations/${encodeURIComponent(id)}/deliveries`,
    });
    return answer.body.deliveries;
  }

  /**
   * A user's balances, one per currency held.
   *
   * @example
   * for (const b of await accounts.balances("alice")) console.log(b.currency, b.available, b.reserved);
   */
  async balances(userId: string): Promise<AccountBalance[]> {
    const answer = await this.#transport.send<BalancesAnswer>({
      method: "GET",
      path: `/v1/accounts/${encodeURIComponent(userId)}/balances`,
    });
    return answer.body.balances;
  }

  /**
   * One balance: now, or as it was at `at` (from the ledger entries). A registered currency the
   * user never held answers zeros with version 0; an unregistered one throws NotFoundError
   * (code `unknown_currency`).
   *
   * @example
   * const { available } = await accounts.balance("alice", "BTC", { at: new Date("2026-11-27T06:00:00Z") });
   */
  async balance(userId: string, currency: string, options: { at?: Date | string } = {}): Promise<Balance> {
    const at = options.at instanceof Date ? options.at.toISOString() : options.at;
    const query = at === undefined ? "" : `?at=${encodeURIComponent(at)}`;
    const answer = await this.#transport.send<Balance>({
      method: "GET",
      path: `/v1/accounts/${encodeURIComponent(userId)}/balances/${encodeURIComponent(currency)}${query}`,
    });
    return answer.body;
  }

  /**
   * Every ledger entry of a user, newest first, fetched page by page as the loop asks for them.
   *
   * @example
   * for await (const entry of accounts.entries("alice", { currency: "BTC" })) console.log(entry.amount);
   */
  async *entries(userId: string, options: EntriesOptions = {}): AsyncGenerator<Entry, void, undefined> {
    let cursor = options.cursor;
    do {
      const query = new URLSearchParams();
      if (options.currency !== undefined) query.set("currency", options.currency);
      if (options.pageSize !== undefined) query.set("limit", String(options.pageSize));
      if (cursor !== undefined) query.set("cursor", cursor);
      const search = query.size > 0 ? `?${query}` : "";
      const page = await this.#transport.send<EntriesAnswer>({
        method: "GET",
        path: `/v1/accounts/${encodeURIComponent(userId)}/entries${search}`,
      });
      yield* page.body.entries;
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** The registered currencies and their scales (decimals). */
  async currencies(): Promise<Currency[]> {
    const answer = await this.#transport.send<CurrenciesAnswer>({ method: "GET", path: "/v1/currencies" });
    return answer.body.currencies;
  }

  /**
   * Sends the submissions still waiting for their batch, waits for every answer, and refuses new
   * submissions. Call it on shutdown.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#batcher?.close();
  }
}

function keyOf(given: string | undefined): string {
  if (given === undefined) return randomUUID();
  if (typeof given !== "string") throw new TypeError("idempotencyKey must be a string");
  return given;
}
