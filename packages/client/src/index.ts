// @accounts/client: the TypeScript client of the accounts processor. See README.md.
export type { BatchingOptions } from "./batcher.ts";
export {
  AccountsClient,
  type BatchItemResult,
  type EntriesOptions,
  type SubmitOptions,
  type WaitOptions,
} from "./client.ts";
export {
  AccountsError,
  ApiError,
  ClientClosedError,
  ConnectionError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InternalServerError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestTimeoutError,
  UnauthorizedError,
  UnavailableError,
  WaitTimeoutError,
  type WebhookErrorCode,
  WebhookVerificationError,
} from "./errors.ts";
export { fromMinorUnits, toMinorUnits } from "./money.ts";
export type { AccountsClientOptions } from "./options.ts";
export type { RetryOptions } from "./retryPolicy.ts";
export type { FetchLike, RetryListener } from "./transport.ts";
export type {
  AccountBalance,
  Balance,
  BatchItem,
  Bucket,
  CreditRequest,
  Currency,
  DebitRequest,
  DeliveryAttempt,
  Entry,
  FieldError,
  Operation,
  OperationBalance,
  OperationRequest,
  OperationStatus,
  OperationType,
  Posting,
  Problem,
  ReleaseRequest,
  ReserveRequest,
  SubmitResult,
  TransferRequest,
} from "./types.ts";
export { type VerifyWebhookOptions, verifyWebhook, type WebhookHeaders } from "./webhooks.ts";
