/**
 * Account identity. A balance row is identified by (userId, currency). System accounts start with
 * `@` and are sharded per partition (`@external:07`) so that no single system row is shared by all
 * partitions and becomes the hottest row in the database (docs/architecture.md, guarantee 5).
 */

const SYSTEM_PREFIX = "@";

/** The `@external` account of one partition: the counterparty of every deposit and withdrawal. */
export function externalAccountId(partition: number): string {
  return `@external:${String(partition).padStart(2, "0")}`;
}

export function isSystemAccount(userId: string): boolean {
  return userId.startsWith(SYSTEM_PREFIX);
}

/** A map key for (userId, currency); NUL cannot occur in either part. */
export function accountKey(userId: string, currency: string): string {
  return `${userId}\u0000${currency}`;
}

/** Orders accounts by (userId, currency) as PostgreSQL's "C" collation does: the global lock order. */
export function compareAccounts(
  a: { userId: string; currency: string },
  b: { userId: string; currency: string },
): number {
  if (a.userId !== b.userId) return a.userId < b.userId ? -1 : 1;
  if (a.currency !== b.currency) return a.currency < b.currency ? -1 : 1;
  return 0;
}
