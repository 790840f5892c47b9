import type { Selectable } from "kysely";
import type { WebhookOutboxTable } from "../database.ts";

/** A notification owed: the operation became final with a callback URL, and no job is known queued. */
export type OutboxRow = Selectable<WebhookOutboxTable>;

export const OUTBOX_COLUMNS = ["operation_id", "client_id", "url", "accepted_at", "created_at"] as const;
