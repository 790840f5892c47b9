import {
  type AccountsError,
  type ApiError,
  errorFromProblem,
  InvalidRequestError,
  PayloadTooLargeError,
  UnavailableError,
} from "./errors.ts";
import { nextDelay } from "./retryPolicy.ts";
import type { HttpAnswer, Transport } from "./transport.ts";
import type { BatchAnswer, FieldError, SubmitResult } from "./types.ts";

/** One operation of a batch: its JSON (with its idempotency key inside) and the key. */
export interface BatchEntry {
  /** `{"idempotencyKey":"...","type":...}`: serialised once, resent byte for byte. */
  json: string;
  idempotencyKey: string;
}

export type Outcome = { ok: true; result: SubmitResult } | { ok: false; error: AccountsError };

export interface DeliveryOptions {
  /**
   * When the API refuses the whole batch as invalid (400, nothing accepted): true fails only the
   * items it names and sends the others again (the batcher: each item is its own caller's); false
   * fails every item with that error (`submitMany`: the caller sent the batch as one request).
   */
  isolateInvalid: boolean;
}

export const BATCH_PATH = "/v1/operations/batch";

/**
 * Sends `entries` in one `POST /v1/operations/batch` and answers one outcome per entry, in order.
 *
 * - Whole-request failures that are retryable (no answer, 503) are retried by the transport with
 *   the same bytes, so the same idempotency keys: nothing is applied twice.
 * - Items answered `unavailable` in the results (their partition could not be stored) are sent
 *   again, in their order, with their keys, after a backoff, within the same retry budget.
 * - A 400 that names items (`errors[].path` = `operations.N....`): with `isolateInvalid`, those
 *   items fail with their own errors and the others are sent again (the API accepted none of
 *   them). A 400 naming no item, or a 413, is bisected: the first half is delivered, then the
 *   second, which keeps the order and finds the items at fault in O(log n) rounds.
 *
 * Order: every resend carries the remaining items in their original order, and the halves of a
 * split go one after the other, so items of one account never overtake each other.
 */
export async function deliverBatch(
  transport: Transport,
  entries: readonly BatchEntry[],
  options: DeliveryOptions,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(entries.length);
  const started = Date.now();
  const policy = transport.retryPolicy;

  const deliver = async (
    part: readonly { entry: BatchEntry; index: number }[],
    round: number,
  ): Promise<void> => {
    let answer: HttpAnswer<BatchAnswer>;
    try {
      answer = await transport.send<BatchAnswer>({
        method: "POST",
        path: BATCH_PATH,
        body: `{"operations":[${part.map((p) => p.entry.json).join(",")}]}`,
      });
    } catch (error) {
      if (!isAccountsError(error)) throw error;
      if (options.isolateInvalid && error instanceof InvalidRequestError) {
        const byItem = attribute(error, part.length);
        if (byItem) {
          for (const [i, errors] of byItem) {
            const p = part[i] as (typeof part)[number];
            outcomes[p.index] = { ok: false, error: itemError(error, errors) };
          }
          const rest = part.filter((_, i) => !byItem.has(i));
          if (rest.length > 0) await deliver(rest, round);
          return;
        }
      }
      const splittable =
        (options.isolateInvalid && error instanceof InvalidRequestError) ||
        error instanceof PayloadTooLargeError;
      if (splittable && part.length > 1) {
        const half = Math.ceil(part.length / 2);
        await deliver(part.slice(0, half), round);
        await deliver(part.slice(half), round);
        return;
      }
      for (const p of part) outcomes[p.index] = { ok: false, error };
      return;
    }
    const results = answer.body.results;
    if (!Array.isArray(results) || results.length !== part.length) {
      throw new Error(`the batch answer has ${results?.length} results for ${part.length} operations`);
    }
    const again: { entry: BatchEntry; index: number; error: ApiError }[] = [];
    results.forEach((result, i) => {
      const p = part[i] as (typeof part)[number];
      if ("error" in result) {
        const error = errorFromProblem(result.error);
        if (error instanceof UnavailableError) again.push({ ...p, error });
        else outcomes[p.index] = { ok: false, error };
      } else {
        outcomes[p.index] = {
          ok: true,
          result: {
            id: result.id,
            status: result.status,
            replayed: result.replayed,
            idempotencyKey: p.entry.idempotencyKey,
          },
        };
      }
    });
    if (again.length === 0) return;
    const first = again[0] as (typeof again)[number];
    const delay = policy ? nextDelay({ attempt: round, elapsedMs: Date.now() - started }, policy) : undefined;
    if (delay === undefined) {
      for (const p of again) outcomes[p.index] = { ok: false, error: p.error };
      return;
    }
    transport.notifyRetry({
      method: "POST",
      path: BATCH_PATH,
      attempt: round + 2,
      delayMs: delay,
      error: first.error,
    });
    await new Promise((resolve) => setTimeout(resolve, delay));
    await deliver(again, round + 1);
  };

  await deliver(
    entries.map((entry, index) => ({ entry, index })),
    0,
  );
  return outcomes;
}

function isAccountsError(error: unknown): error is AccountsError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

const ITEM_PATH = /^operations\.(\d+)(?:\.(.*))?$/;

/**
 * The field errors of a refused batch by item index, each re-rooted at its item (`amount` rather
 * than `operations.3.amount`); null when some error names no item (then nothing can be attributed).
 */
export function attribute(error: InvalidRequestError, items: number): Map<number, FieldError[]> | null {
  if (error.errors.length === 0) return null;
  const byItem = new Map<number, FieldError[]>();
  for (const fieldError of error.errors) {
    const match = ITEM_PATH.exec(fieldError.path);
    const index = match ? Number(match[1]) : Number.NaN;
    if (!match || !(index < items)) return null;
    const list = byItem.get(index) ?? [];
    list.push({ path: match[2] ?? "(root)", message: fieldError.message });
    byItem.set(index, list);
  }
  return byItem;
}

/** The error of one item of a refused batch: the batch's problem, with only that item's field errors. */
function itemError(batch: InvalidRequestError, errors: FieldError[]): InvalidRequestError {
  return new InvalidRequestError(
    { ...batch.problem, detail: "the operation is invalid", errors },
    batch.retryAfter === undefined ? {} : { retryAfter: batch.retryAfter },
  );
}
