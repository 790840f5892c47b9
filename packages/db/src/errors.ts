import { UnreplicatedCommitError } from "./replicas/unreplicatedCommit.ts";

/**
 * The one place that classifies database failures. A retryable failure leaves the batch to be tried
 * again in place (order is kept); anything else is a bug or corrupt data that needs an operator.
 */

/** SQLSTATEs (exact codes, or two-character classes) after which the same work may simply be retried. */
const RETRYABLE_SQLSTATES = new Map<string, string>([
  ["40001", "serialization failure"],
  ["40P01", "deadlock detected"],
  // A concurrent transaction created the same account row or wrote the same operation id (a job run
  // twice after a stall): the retry re-reads and finds it.
  ["23505", "unique violation from a concurrent writer"],
  ["55P03", "lock not available"],
  ["57014", "statement timeout"],
  ["57P01", "admin shutdown"],
  ["57P02", "crash shutdown"],
  ["57P03", "cannot connect now"],
  ["08", "connection exception"],
  ["53", "insufficient resources"],
  ["58", "system error"],
]);

const RETRYABLE_NODE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

const RETRYABLE_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error",
  "Connection terminated unexpectedly",
  "the database system is starting up",
  "the database system is shutting down",
  "Client was closed and is not queryable",
];

/** A version-guarded UPDATE touched fewer rows than it locked: someone changed a row behind our back. */
export class VersionConflictError extends Error {
  override readonly name = "VersionConflictError";
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when `state` is one of `states`, given as exact codes or two-character classes. */
function inStates(state: string, states: { has(code: string): boolean }): boolean {
  return states.has(state) || states.has(state.slice(0, 2));
}

/** A failure without an SQLSTATE that says the connection failed (refused, cut, timed out). */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && RETRYABLE_NODE_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : String(error);
  return RETRYABLE_MESSAGES.some((text) => message.includes(text));
}

/** True when the failure is transient: retry the same work later, never reject it. */
export function isRetryableDatabaseError(error: unknown): boolean {
  if (error instanceof VersionConflictError) return true;
  // Committed on the primary, maybe not on the standby: run the batch again (it waits once more).
  if (error instanceof UnreplicatedCommitError) return true;
  const state = sqlState(error);
  return state ? inStates(state, RETRYABLE_SQLSTATES) : isConnectionFailure(error);
}

/** SQLSTATEs (codes or classes) of a server that is down, restarting or out of connections. */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "08", "53"]);

/**
 * True when the database cannot be reached or is restarting (a refused or cut connection, "the
 * database system is starting up", too many connections): an outage, which a request answers with
 * 503 and the caller retries. Narrower than {@link isRetryableDatabaseError}, which also retries
 * conflicts between writers.
 *
 * @example
 * isDatabaseUnavailableError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })) // true
 */
export function isDatabaseUnavailableError(error: unknown): boolean {
  const state = sqlState(error);
  return state ? inStates(state, UNAVAILABLE_SQLSTATES) : isConnectionFailure(error);
}

/** True when an insert found no time partition for its row (the scheduler fell behind). */
export function isMissingPartitionError(error: unknown): boolean {
  return (
    sqlState(error) === "23514" &&
    error instanceof Error &&
    error.message.includes("no partition of relation")
  );
}
