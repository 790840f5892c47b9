import { z } from "zod";
import { AMOUNT_PATTERN, MAX_SIGNIFICANT_DIGITS } from "./money.ts";

/**
 * The request schemas of operations, exactly as docs/api.md states them. The API validates with these,
 * derives its OpenAPI document from them, and the queue payloads carry the parsed result.
 * Scale checks need the currency table, so they happen after this parse (see `postings.ts`).
 */

const USER_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const CURRENCY_PATTERN = /^[A-Z0-9]{2,12}$/;
const METADATA_MAX_BYTES = 2048;
const MAX_POSTINGS = 64;

const userIdSchema = z
  .string()
  .regex(USER_ID_PATTERN, "userId must be 1-64 characters of A-Z a-z 0-9 _ . -")
  .meta({
    description: "A user's id. Ids starting with @ are system accounts and never accepted.",
    example: "alice",
  });

const currencyCodeSchema = z
  .string()
  .regex(CURRENCY_PATTERN, "currency must be 2-12 characters of A-Z 0-9")
  .meta({ description: "A registered currency code.", example: "BTC" });

const amountSchema = z
  .string()
  .regex(AMOUNT_PATTERN, {
    message: 'amount must be a decimal string like "12.5" (no sign, exponent or leading zeros)',
    // A malformed amount gets one error, not also "must be greater than zero" and the digit count.
    abort: true,
  })
  .refine((value) => /[1-9]/.test(value), "amount must be greater than zero")
  .refine(
    (value) => value.replace(".", "").replace(/^0+/, "").replace(/0+$/, "").length <= MAX_SIGNIFICANT_DIGITS,
    `amount must have at most ${MAX_SIGNIFICANT_DIGITS} significant digits`,
  )
  .meta({
    description: "Strictly positive decimal string with at most the currency's scale in decimals.",
    example: "0.1",
  });

const bucketSchema = z.enum(["available", "reserved"]);
export type Bucket = z.infer<typeof bucketSchema>;

const accountRefSchema = z.strictObject({ userId: userIdSchema, currency: currencyCodeSchema });

/** Size of `value` as JSON in bytes, or Infinity when it is nested too deeply to serialise. */
function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value), "utf8");
  } catch {
    // JSON.stringify recurses: thousands of nested levels overflow the stack (a RangeError that
    // would be a 500). Every level costs at least two bytes of JSON, so such a value is far over
    // the limit anyway.
    return Number.POSITIVE_INFINITY;
  }
}

export const metadataSchema = z
  .record(z.string(), z.unknown())
  .refine(
    (value) => jsonBytes(value) <= METADATA_MAX_BYTES,
    `metadata must be at most ${METADATA_MAX_BYTES} bytes as JSON`,
  )
  .meta({ description: "Any JSON object up to 2 KiB, stored and returned as given." });

const callbackUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: "callbackUrl must be an absolute http(s) URL",
  })
  .meta({ description: "Where the final result is POSTed (signed, Standard Webhooks)." });

const common = {
  callbackUrl: callbackUrlSchema.optional(),
  metadata: metadataSchema.optional(),
};

export const creditSchema = z.strictObject({
  type: z.literal("credit"),
  account: accountRefSchema,
  amount: amountSchema,
  ...common,
});

export const debitSchema = z.strictObject({
  type: z.literal("debit"),
  account: accountRefSchema,
  amount: amountSchema,
  bucket: bucketSchema.default("available"),
  ...common,
});

export const reserveSchema = z.strictObject({
  type: z.literal("reserve"),
  account: accountRefSchema,
  amount: amountSchema,
  ...common,
});

export const releaseSchema = z.strictObject({
  type: z.literal("release"),
  account: accountRefSchema,
  amount: amountSchema,
  ...common,
});

const postingEndSchema = z.strictObject({ userId: userIdSchema, bucket: bucketSchema });

const postingSchema = z.strictObject({
  from: postingEndSchema,
  to: postingEndSchema,
  currency: currencyCodeSchema,
  amount: amountSchema,
});

export const transferSchema = z.strictObject({
  type: z.literal("transfer"),
  postings: z.array(postingSchema).min(1).max(MAX_POSTINGS),
  ...common,
});

export const operationRequestSchema = z.discriminatedUnion("type", [
  creditSchema,
  debitSchema,
  reserveSchema,
  releaseSchema,
  transferSchema,
]);

export type OperationRequest = z.infer<typeof operationRequestSchema>;
export type OperationType = OperationRequest["type"];
export const OPERATION_TYPES = ["credit", "debit", "reserve", "release", "transfer"] as const;

/** Every currency a request names, in the order it names them. */
export function currenciesOf(request: OperationRequest): string[] {
  return request.type === "transfer" ? request.postings.map((p) => p.currency) : [request.account.currency];
}

/**
 * An Idempotency-Key: 1 to 255 visible ASCII characters, scoped to the client that sends it (the
 * `Idempotency-Key` header of a single submission, `idempotencyKey` of a batch item).
 */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "an idempotency key must be 1-255 visible ASCII characters");

export const REJECTION_CODES = [
  "insufficient_funds",
  "unknown_currency",
  "invalid_posting",
  "invalid_amount",
  "duplicate_idempotency_key",
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];
export interface Rejection {
  code: RejectionCode;
  message: string;
  /**
   * With `duplicate_idempotency_key`: the operation applied first under the same Idempotency-Key,
   * whose result is the answer (this one changed nothing).
   */
  duplicateOf?: string;
}
