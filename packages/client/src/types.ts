import type { components, paths } from "./generated/api.ts";

/*
 * Names for the wire types. Every shape here is generated (./generated/api.ts) from the OpenAPI
 * document of the API, which the API derives from the zod schemas it validates with: nothing is
 * written twice, and a change of the API that the client's types do not follow fails a test.
 */

type Schemas = components["schemas"];
type Json<
  Route extends keyof paths,
  Method extends "get" | "post",
  Status extends number,
> = paths[Route][Method] extends {
  responses: { [S in Status]: { content: { "application/json": infer Body } } };
}
  ? Body
  : never;

/** An operation to submit: a `credit`, `debit`, `reserve`, `release` or `transfer`. Amounts are decimal strings. */
export type OperationRequest = paths["/v1/operations"]["post"]["requestBody"]["content"]["application/json"];
export type CreditRequest = Extract<OperationRequest, { type: "credit" }>;
export type DebitRequest = Extract<OperationRequest, { type: "debit" }>;
export type ReserveRequest = Extract<OperationRequest, { type: "reserve" }>;
export type ReleaseRequest = Extract<OperationRequest, { type: "release" }>;
export type TransferRequest = Extract<OperationRequest, { type: "transfer" }>;
export type Posting = TransferRequest["postings"][number];
export type OperationType = OperationRequest["type"];
export type Bucket = Posting["from"]["bucket"];

/** An item of `submitMany`: an operation with its own optional idempotency key. */
export type BatchItem = Schemas["BatchRequest"]["operations"][number];

/** An operation's representation (`GET /v1/operations/{id}`, webhooks). */
export type Operation = Schemas["Operation"];
/** `accepted` (waiting or being applied), `applied` and `rejected` (final), `failed` (an operator retries it). */
export type OperationStatus = Operation["status"];
/** A touched balance right after an applied operation (in `Operation.balances`). */
export type OperationBalance = Schemas["Balance"];
/** One of a user's balances, as `balances(userId)` lists them. */
export type AccountBalance = Schemas["AccountBalance"];
/** One balance of one user (`balance(userId, currency)`). */
export type Balance = Json<"/v1/accounts/{userId}/balances/{currency}", "get", 200>;
/** A ledger entry: `amount` is a signed decimal string. */
export type Entry = Schemas["Entry"];
export type Currency = Schemas["Currency"];
/** One attempt to deliver an operation's webhook. */
export type DeliveryAttempt = Schemas["DeliveryAttempt"];
/** An RFC 9457 problem document, as every error answer of the API carries. */
export type Problem = Schemas["Problem"];
export type FieldError = NonNullable<Problem["errors"]>[number];

/** @internal The answer of `POST /v1/operations/batch`. */
export type BatchAnswer = Json<"/v1/operations/batch", "post", 202>;
/** @internal The answers of `POST /v1/operations` (202 accepted, 200/202 replay). */
export type SubmitAnswer = Json<"/v1/operations", "post", 202> | Json<"/v1/operations", "post", 200>;
/** @internal */
export type BalancesAnswer = Json<"/v1/accounts/{userId}/balances", "get", 200>;
/** @internal */
export type EntriesAnswer = Json<"/v1/accounts/{userId}/entries", "get", 200>;
/** @internal */
export type CurrenciesAnswer = Json<"/v1/currencies", "get", 200>;
/** @internal */
export type DeliveriesAnswer = Json<"/v1/operations/{id}/deliveries", "get", 200>;

/** What `submit` answers: the operation's id and status when it was accepted (or replayed). */
export interface SubmitResult {
  id: string;
  /** `accepted` for a new operation; a replay answers the operation's current status. */
  status: OperationStatus;
  /** True when the idempotency key had been used before with the same body (nothing new was accepted). */
  replayed: boolean;
  /** The key the operation was submitted with (generated when none was given): resubmit with it to be safe. */
  idempotencyKey: string;
}
