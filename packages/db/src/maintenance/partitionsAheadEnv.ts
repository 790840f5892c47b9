import { z } from "zod";

/**
 * How far ahead the time partitions are created, read by the scheduler (its `partitions` task) and
 * the worker (which creates them at once when a write finds its partition missing): both must use
 * the same horizon.
 */
export const partitionsAheadEnv = {
  /** Daily partitions of operations created ahead of today. */
  PARTITION_DAYS_AHEAD: z.coerce.number().int().min(1).max(365).default(7),
  /** Monthly partitions of ledger entries created ahead of this month. */
  PARTITION_MONTHS_AHEAD: z.coerce.number().int().min(1).max(36).default(2),
};
