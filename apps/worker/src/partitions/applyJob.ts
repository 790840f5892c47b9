import type { CurrencyCache, Db, OperationOutcome } from "@accounts/db";
import { currenciesOf, type QueuedOperation } from "@accounts/domain";
import { applyJobSchema, markFailed, type OperationStateStore } from "@accounts/queue";
import { type Job, UnrecoverableError, WaitingError } from "bullmq";
import { type Absorbed, NOTHING_ABSORBED, removeAbsorbed } from "./absorbWaiting.ts";
import { afterCommit, type CommitHook } from "./afterCommit.ts";
import {
  applyWithRetry,
  PoisonBatchError,
  type RetryOptions,
  retryInPlace,
  StoppingError,
} from "./applyWithRetry.ts";

/** What a partition processor needs: the retry rules (see applyWithRetry.ts) and these. */
export interface ApplyJobDeps extends RetryOptions {
  db: Db;
  currencies: CurrencyCache;
  states: OperationStateStore;
  hooks: readonly CommitHook[];
  /** How long a failed operation's state stays readable (seconds). */
  failedTtlSeconds: number;
  /** Takes the jobs waiting behind the active one, to apply with it (see absorbWaiting.ts). */
  absorb?: (alreadyTaken: number) => Promise<Absorbed>;
  /** Called with the operations marked `failed` (poison), e.g. to count them. */
  onOperationsFailed?: (operations: readonly QueuedOperation[]) => void;
}

export interface ApplySummary {
  operations: number;
  applied: number;
  rejected: number;
  replayed: number;
  failed: number;
}

function summarize(outcomes: readonly OperationOutcome[], failed: number): ApplySummary {
  return {
    operations: outcomes.length + failed,
    applied: outcomes.filter((o) => o.status === "applied" && !o.replayed).length,
    rejected: outcomes.filter((o) => o.status === "rejected" && !o.replayed).length,
    replayed: outcomes.filter((o) => o.replayed).length,
    failed,
  };
}

/**
 * The processor of a partition queue: applies the job's operations in one transaction (retrying in
 * place on transient failures), then runs the post-commit steps.
 *
 * A batch that keeps failing for another reason is split: each operation is tried on its own, the
 * good ones are applied, the poisonous ones are marked `failed` (a poll shows it), and the job
 * fails with the error visible on the dashboard. Retrying it there re-runs only what is not
 * applied yet (applied ids are skipped).
 *
 * When the worker stops while a batch waits for the database, the job goes back to the front of its
 * queue (so nothing overtakes it) for the next worker to take.
 */
export function createApplyProcessor(deps: ApplyJobDeps, partition: number) {
  return async (job: Job, token?: string): Promise<ApplySummary> => {
    const parsed = applyJobSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`malformed apply job: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    }
    const absorbed = deps.absorb ? await deps.absorb(parsed.data.operations.length) : NOTHING_ABSORBED;
    const own = parsed.data.operations;
    const operations = absorbed.jobs.length > 0 ? [...own, ...absorbed.operations] : own;
    const codes = new Set(operations.flatMap((op) => currenciesOf(op.request)));
    let scales: ReadonlyMap<string, number> | undefined;
    try {
      // Reading the currency table waits out an outage like the batch itself.
      scales = await retryInPlace(deps.db, partition, () => deps.currencies.scalesFor(codes), deps);
      // A job's first run rarely holds stored ids: skip the lookup (the primary key still guards).
      const likelyFresh = job.attemptsStarted <= 1;
      const outcomes = await applyWithRetry(deps.db, { partition, operations, scales, likelyFresh }, deps);
      await removeAbsorbed(absorbed);
      await afterCommit(outcomes, partition, deps);
      return summarize(outcomes, 0);
    } catch (error) {
      if (error instanceof StoppingError) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (!(error instanceof PoisonBatchError) || scales === undefined) throw error;
      // The poison may sit in an absorbed job: apply this job alone; the others fail on their own turn.
      if (absorbed.jobs.length > 0)
        return createApplyProcessor({ ...deps, absorb: undefined }, partition)(job, token);
      return isolatePoison(job, operations, scales, partition, error, deps);
    }
  };
}

async function isolatePoison(
  job: Job,
  operations: QueuedOperation[],
  scales: ReadonlyMap<string, number>,
  partition: number,
  batchError: PoisonBatchError,
  deps: ApplyJobDeps,
): Promise<ApplySummary> {
  const applied: OperationOutcome[] = [];
  const failed: QueuedOperation[] = [];
  let firstProblem = batchError.message;
  for (const op of operations) {
    try {
      applied.push(
        ...(await applyWithRetry(
          deps.db,
          { partition, operations: [op], scales },
          { ...deps, nonTransientRetries: 0 },
        )),
      );
    } catch (error) {
      if (!(error instanceof PoisonBatchError) || scales === undefined) throw error;
      if (failed.length === 0) firstProblem = error.message;
      failed.push(op);
    }
  }
  if (applied.length > 0) await afterCommit(applied, partition, deps);
  // Every operation went through on its own: the batch as a whole was the problem, not one of them.
  if (failed.length === 0) return summarize(applied, 0);
  await markFailed(
    deps.states,
    failed.map((op) => ({ id: op.id, clientId: op.clientId, type: op.request.type })),
    firstProblem,
    deps.failedTtlSeconds,
  );
  deps.onOperationsFailed?.(failed);
  deps.log.error(
    {
      partition,
      jobId: job.id,
      failed: failed.map((op) => op.id),
      applied: applied.length,
      problem: firstProblem,
    },
    "operations failed: retries did not cure them; the job is failed for an operator to retry",
  );
  throw new UnrecoverableError(`${failed.length} of ${operations.length} operations failed: ${firstProblem}`);
}
