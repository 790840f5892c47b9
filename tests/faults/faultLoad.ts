import { setTimeout as sleep } from "node:timers/promises";
import { type ApiConnection, type Attempt, attemptLabel } from "../loadKit/apiConnection.ts";
import { type GeneratedOperation, type JsonObject, randomOperation } from "../loadKit/operationMix.ts";
import type { Random } from "../loadKit/random.ts";
import { retryLoop } from "../loadKit/retryLoop.ts";

/**
 * How a caller's submission ended:
 * - `acknowledged`: a 2xx (202, or a replayed 200/202) named the operation's id;
 * - `refused`: a 4xx or a 5xx (no retry, or retries ran out);
 * - `no-answer`: the connection failed or timed out and the caller did not retry.
 */
export type SubmissionOutcome = "acknowledged" | "refused" | "no-answer";

/** One logical operation as its caller saw it. */
export interface OperationRecord {
  /** Logical id, also in `metadata.lid`: one caller-side operation, whatever ids the API gave it. */
  lid: string;
  lane: number;
  /** The account whose sequence it carries (its first user account, which orders it). */
  userId: string;
  seq: number;
  type: GeneratedOperation["type"];
  /** Ledger entries when applied. */
  entries: number;
  /** Sent with an Idempotency-Key and retried until answered. */
  retried: boolean;
  batch: boolean;
  outcome: SubmissionOutcome;
  /** The id the acknowledging answer named. */
  id?: string;
  /** The last answer's status or failure (`timeout`, `connection`). */
  last: string;
  attempts: number;
}

export interface LoadOptions {
  runId: string;
  /** One per lane: lanes use them round-robin (several connections per client). */
  connections: readonly ApiConnection[];
  accountsPerLane: number;
  /** Operations per second over all lanes. */
  rate: number;
  /** Share of single submissions sent once without a key and never retried. */
  noRetryShare: number;
  /** Share of submissions sent as a batch of 2-4 operations. */
  batchShare: number;
  /** Share of acknowledged single submissions whose result is then polled once. */
  pollShare: number;
  random: Random;
  /** Retried submissions give up after this long (then the run fails: the system did not recover). */
  retryDeadlineMs: number;
}

/** A running load: lanes that each submit for their own accounts, one submission at a time. */
/**
 * The usual load of the fault suites (tests/faults/main.ts and primaryLoss.ts): 6 accounts per lane,
 * 10 % of submissions never retried, 10 % in batches, 20 % of the time a poll, retries for 2 min.
 */
export const USUAL_FAULT_LOAD = {
  accountsPerLane: 6,
  noRetryShare: 0.1,
  batchShare: 0.1,
  pollShare: 0.2,
  retryDeadlineMs: 120_000,
} as const satisfies Partial<LoadOptions>;

export interface FaultLoad {
  readonly records: readonly OperationRecord[];
  /** Attempts by label (`202`, `503`, `connection`...). */
  readonly attempts: ReadonlyMap<string, number>;
  acknowledged(): number;
  /** Stops submitting new operations and waits for the ones under way to settle. */
  stop(): Promise<void>;
}

/**
 * Starts the steady mixed load of the fault suite. Each lane owns a few accounts and submits for
 * them one operation at a time, so an account's sequence numbers (`metadata.seq`) are acknowledged
 * in order: whatever the faults, the ledger must apply them in that order.
 *
 * @example
 * const load = startFaultLoad({ runId, connections, accountsPerLane: 6, rate: 300, ... });
 * await load.stop(); load.records; // every submission and how it ended
 */
export function startFaultLoad(options: LoadOptions): FaultLoad {
  const lanes = options.connections.length;
  const records: OperationRecord[] = [];
  const attempts = new Map<string, number>();
  const countAttempt = (attempt: Attempt) => {
    const label = attemptLabel(attempt);
    attempts.set(label, (attempts.get(label) ?? 0) + 1);
  };
  const accounts = Array.from({ length: lanes }, (_, lane) =>
    Array.from({ length: options.accountsPerLane }, (_, i) => `${options.runId}-l${lane}-a${i}`),
  );
  const everyone = accounts.flat();
  const feeAccount = `${options.runId}-fees`;
  const sequence = new Map<string, number>();
  let stopping = false;
  let acknowledged = 0;

  const next = (lane: number): { userId: string; op: GeneratedOperation; seq: number; lid: string } => {
    const userId = options.random.pick(accounts[lane] as string[]);
    const seq = (sequence.get(userId) ?? 0) + 1;
    sequence.set(userId, seq);
    const op = randomOperation(options.random, userId, everyone, feeAccount);
    return { userId, op, seq, lid: `${userId}-${seq}` };
  };
  const body = (item: ReturnType<typeof next>, lane: number): JsonObject => ({
    ...item.op.request,
    metadata: { run: options.runId, lid: item.lid, acct: item.userId, seq: item.seq, lane },
  });
  const record = (
    item: ReturnType<typeof next>,
    lane: number,
    fields: Pick<OperationRecord, "retried" | "batch" | "outcome" | "last" | "attempts"> & { id?: string },
  ) => {
    if (fields.outcome === "acknowledged") acknowledged += 1;
    records.push({
      lid: item.lid,
      lane,
      userId: item.userId,
      seq: item.seq,
      type: item.op.type,
      entries: item.op.entries,
      ...fields,
    });
  };

  const single = async (connection: ApiConnection, lane: number) => {
    const item = next(lane);
    const retried = !options.random.chance(options.noRetryShare);
    const headers: Record<string, string> = retried ? { "idempotency-key": item.lid } : {};
    const { last, attempts: count } = await retryLoop(
      () => connection.post("/v1/operations", body(item, lane), headers),
      { retry: retried, deadlineMs: options.retryDeadlineMs, onAttempt: countAttempt },
    );
    const ok = last.kind === "answer" && last.status >= 200 && last.status < 300;
    const id = ok && typeof last.body.id === "string" ? last.body.id : undefined;
    record(item, lane, {
      retried,
      batch: false,
      outcome: ok ? "acknowledged" : last.kind === "answer" ? "refused" : "no-answer",
      last: attemptLabel(last),
      attempts: count,
      ...(id ? { id } : {}),
    });
    // Callers poll their results too, whatever is down at the moment: an outage must answer 503.
    if (id && options.random.chance(options.pollShare)) {
      const poll = await connection.get(`/v1/operations/${id}`);
      const label = `GET ${attemptLabel(poll)}`;
      attempts.set(label, (attempts.get(label) ?? 0) + 1);
    }
  };

  const batch = async (connection: ApiConnection, lane: number) => {
    const items = Array.from({ length: options.random.int(2, 4) }, () => next(lane));
    const operations = items.map((item) => ({ idempotencyKey: item.lid, ...body(item, lane) }));
    const results = (attempt: Attempt): JsonObject[] =>
      attempt.kind === "answer" && Array.isArray(attempt.body.results)
        ? (attempt.body.results as JsonObject[])
        : [];
    const { last, attempts: count } = await retryLoop(
      () => connection.post("/v1/operations/batch", { operations }),
      {
        retry: true,
        deadlineMs: options.retryDeadlineMs,
        onAttempt: countAttempt,
        // Items that could not be stored come back as errors inside a 202: send the batch again.
        alsoRetry: (attempt) => results(attempt).some((result) => typeof result.id !== "string"),
      },
    );
    const answered = results(last);
    items.forEach((item, index) => {
      const id = answered[index]?.id;
      const ok = typeof id === "string";
      record(item, lane, {
        retried: true,
        batch: true,
        outcome: ok ? "acknowledged" : last.kind === "answer" ? "refused" : "no-answer",
        last: attemptLabel(last),
        attempts: count,
        ...(ok ? { id } : {}),
      });
    });
  };

  const runLane = async (lane: number) => {
    const connection = options.connections[lane] as ApiConnection;
    const interval = (1000 * lanes) / options.rate;
    let due = Date.now() + options.random.next() * interval;
    while (!stopping) {
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      // A lane that fell behind (an outage) resumes its pace instead of bursting to catch up.
      due = Math.max(due + interval, Date.now() - interval);
      if (options.random.chance(options.batchShare)) await batch(connection, lane);
      else await single(connection, lane);
    }
  };
  const running = Array.from({ length: lanes }, (_, lane) => runLane(lane));

  return {
    records,
    attempts,
    acknowledged: () => acknowledged,
    stop: async () => {
      stopping = true;
      await Promise.all(running);
    },
  };
}
