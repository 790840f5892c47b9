export { accountKey, compareAccounts, externalAccountId, isSystemAccount } from "./accounts.ts";
export {
  API_KEY_PREFIX_LENGTH,
  apiKeyPrefix,
  type GeneratedApiKey,
  generateApiKey,
  generateWebhookSecret,
  hashApiKey,
  looksLikeApiKey,
  newClientId,
} from "./apiKeys.ts";
export { type Balance, BalanceBook, type BookOutcome, type EntryDraft } from "./book.ts";
export {
  acceptedAtOf,
  isOperationId,
  newOperationId,
  OPERATION_ID_PATTERN,
  operationIdTime,
  partitionOfOperationId,
} from "./ids.ts";
export {
  AMOUNT_PATTERN,
  AmountError,
  type AmountProblem,
  amountProblemMessage,
  formatAmount,
  MAX_SCALE,
  MAX_SIGNIFICANT_DIGITS,
  type ParsedAmount,
  parseAmount,
  parseDecimal,
  sumAmounts,
  tryParseAmount,
} from "./money.ts";
export { type Leg, type Plan, type Posting, planOperation } from "./postings.ts";
export { newQueuedOperation, type QueuedOperation } from "./queuedOperation.ts";
export {
  type BalanceView,
  type FinalOperation,
  finalView,
  type OperationStatus,
  type OperationView,
} from "./representation.ts";
export {
  type Bucket,
  CURRENCY_PATTERN,
  creditSchema,
  currenciesOf,
  debitSchema,
  idempotencyKeySchema,
  metadataSchema,
  OPERATION_TYPES,
  type OperationRequest,
  type OperationType,
  operationRequestSchema,
  REJECTION_CODES,
  type Rejection,
  type RejectionCode,
  releaseSchema,
  reserveSchema,
  transferSchema,
} from "./schemas.ts";
export { isScope, SCOPES, type Scope } from "./scopes.ts";
