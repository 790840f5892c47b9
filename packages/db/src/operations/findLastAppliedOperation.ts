import { type Kysely, sql } from "kysely";
import type { Database, OperationRow } from "../database.ts";

export type LastOperation = Pick<
  OperationRow,
  "id" | "client_id" | "type" | "status" | "request" | "accepted_at" | "finished_at"
>;

/**
 * The operation whose result was written last (the greatest `finished_at`, ties by id), or undefined
 * when there is none: after a point-in-time restore, the last operation applied before the target.
 * Only operations accepted within the hour before the newest acceptance are looked at, so that the
 * scan touches the newest partition rather than all of them (an operation waits in its queue for
 * seconds, not hours).
 *
 * ```sql
 * SELECT id, client_id, type, status, request, accepted_at, finished_at FROM operations
 * WHERE accepted_at >= (SELECT accepted_at FROM operations ORDER BY id DESC LIMIT 1) - interval '1 hour'
 * ORDER BY finished_at DESC, id DESC LIMIT 1
 * ```
 *
 * @example
 * await findLastAppliedOperation(db)
 * // { id: "op_01JD...", type: "credit", status: "applied", finished_at: 2026-12-02T10:14:58.991Z, ... }
 */
export async function findLastAppliedOperation(db: Kysely<Database>): Promise<LastOperation | undefined> {
  // The id is a ULID of the acceptance time: the primary key's index finds the newest at once.
  const newest = db.selectFrom("operations").select("accepted_at").orderBy("id", "desc").limit(1);
  return db
    .selectFrom("operations")
    .select(["id", "client_id", "type", "status", "request", "accepted_at", "finished_at"])
    .where("accepted_at", ">=", sql<Date>`(${newest}) - interval '1 hour'`)
    .orderBy("finished_at", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
}
