import { OPERATION_ID_PATTERN, operationRequestSchema, type QueuedOperation } from "@accounts/domain";
import { z } from "zod";
import { MAINTENANCE_TASKS } from "./catalog.ts";

/**
 * Payloads of every job, parsed by the consumer before it acts. Versioned (`v`) so that a rolling
 * deploy can read jobs written by the previous release.
 */

/** A {@link QueuedOperation} as a job carries it. */
const queuedOperationSchema = z.object({
  id: z.string().regex(OPERATION_ID_PATTERN),
  clientId: z.string().min(1),
  idempotencyKey: z.string().nullable(),
  request: operationRequestSchema,
  requestHash: z.string().min(1),
  /** Acceptance time, ms since the epoch. */
  acceptedAt: z.number().int().positive(),
}) satisfies z.ZodType<QueuedOperation>;

/** `apply` on a partition queue: operations in acceptance order, applied in one transaction. */
export const applyJobSchema = z.object({
  v: z.literal(1),
  operations: z.array(queuedOperationSchema).min(1),
});
export type ApplyJob = z.infer<typeof applyJobSchema>;

/** `deliver` on the webhooks queue: POST an operation's final representation to its callback URL. */
export const deliverJobSchema = z.object({
  v: z.literal(1),
  operationId: z.string(),
  clientId: z.string(),
  url: z.string().url(),
  /** Unix ms of the operation's acceptance: locates its partition of `operations`. */
  acceptedAt: z.number().int().positive(),
});
export type DeliverJob = z.infer<typeof deliverJobSchema>;

/** A maintenance task, from the scheduler's tick or an operator. */
export const maintenanceJobSchema = z.object({
  v: z.literal(1),
  task: z.enum(MAINTENANCE_TASKS),
  trigger: z.enum(["schedule", "operator"]),
  /** The run row created by whoever requested it (operator runs), or null for scheduled ones. */
  runId: z.number().int().positive().nullable(),
});
export type MaintenanceJob = z.infer<typeof maintenanceJobSchema>;
