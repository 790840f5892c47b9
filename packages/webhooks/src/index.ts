export {
  type Allowlist,
  AllowlistError,
  allowlistEntryError,
  allowsAddress,
  allowsHost,
  normalizeHostname,
  parseAllowlist,
} from "./allowlist.ts";
export {
  createWebhookSender,
  type DeliveryResult,
  isDelivered,
  type WebhookMessage,
  type WebhookSender,
  type WebhookSenderOptions,
} from "./deliver.ts";
export { webhookPolicyEnv } from "./env.ts";
export { forbiddenAddressReason } from "./forbiddenAddress.ts";
export { cachingResolver, type ResolvedAddress, type Resolver, systemResolver } from "./resolver.ts";
export {
  DELIVERY_ATTEMPTS,
  minimumRetryWindowMs,
  nominalRetryDelayMs,
  RETRY_CAP_MS,
  retryDelayMs,
  WEBHOOK_BACKOFF_TYPE,
} from "./retrySchedule.ts";
export {
  signWebhook,
  WebhookSecretError,
  type WebhookSignatureHeaders,
  webhookIdOf,
  webhookKey,
  webhookSignature,
} from "./sign.ts";
export {
  type CallbackUrlCheck,
  type CallbackUrlPolicy,
  type CheckedCallbackUrl,
  callbackUrlPolicy,
  checkCallbackUrl,
  type RefusedCallbackUrl,
} from "./urlGuard.ts";
