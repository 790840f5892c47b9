import type { Migration } from "kysely";
import * as initial from "./20261127000000_initial.ts";
import * as webhookOutbox from "./20261127010000_webhook_outbox.ts";
import * as leastPrivilege from "./20261127020000_least_privilege.ts";
import * as idempotencyKeys from "./20261202010000_idempotency_keys.ts";

/**
 * Every migration, by timestamped name. Listed here rather than read from the folder so that the
 * runner works from any working directory and in any bundle. Add new ones at the end.
 */
export const migrations: Record<string, Migration> = {
  "20261127000000_initial": initial,
  "20261127010000_webhook_outbox": webhookOutbox,
  "20261127020000_least_privilege": leastPrivilege,
  "20261202010000_idempotency_keys": idempotencyKeys,
};
