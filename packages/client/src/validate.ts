import { operationRequestSchema } from "@accounts/domain";
import { InvalidRequestError } from "./errors.ts";
import type { FieldError, OperationRequest } from "./types.ts";

/*
 * The checks an operation passes before it is sent, with the very schema the API validates with
 * (`@accounts/domain`, bundled into the published package): shape, types, user ids, currency code
 * format, amount format, metadata size, callback URL form. What needs the server's state (is the
 * currency registered, does the amount fit its scale, may the callback URL be called) is checked by
 * the API; in a batch it names the items at fault, and only their callers fail (batchDelivery.ts).
 */

/**
 * The field errors of `value` as an operation, in the API's form (`path` dotted, `(root)` for the
 * whole value); an empty list when it is valid.
 *
 * @example
 * operationErrors({ type: "credit", account: { userId: "a", currency: "BTC" }, amount: "-1" })
 * // [{ path: "amount", message: 'amount must be a decimal string like "12.5" (...)' }]
 */
export function operationErrors(value: unknown, prefix = ""): FieldError[] {
  const parsed = operationRequestSchema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.slice(0, 50).map((issue) => {
    const path = issue.path.map(String).join(".");
    const keys = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
    return { path: prefix + (path || "(root)"), message: `${issue.message}${keys}` };
  });
}

/** The error of an operation refused before it was sent (no request id: the API never saw it). */
export function invalidOperation(
  errors: FieldError[],
  detail = "the operation is invalid",
): InvalidRequestError {
  return new InvalidRequestError({
    type: "https://docs.accounts.local/errors/invalid_request",
    title: "Invalid request",
    status: 400,
    code: "invalid_request",
    detail: `${detail} (refused by the client before sending)`,
    errors,
    requestId: "",
  });
}

/**
 * Every user an operation touches: operations sharing one are never sent in parallel, so that
 * they reach the API in the order they were submitted (batcher.ts).
 */
export function usersOf(operation: OperationRequest): string[] {
  if (operation.type !== "transfer") return [operation.account.userId];
  const users = new Set<string>();
  for (const posting of operation.postings) {
    users.add(posting.from.userId);
    users.add(posting.to.userId);
  }
  return [...users];
}
