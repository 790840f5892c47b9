import type { Pool, PoolClient } from "pg";

/**
 * A WAL position (`pg_lsn`, "16/B374D848") as a bigint, so that positions compare and subtract
 * exactly (they are 64-bit).
 *
 * @example
 * parseLsn("16/B374D848") // 0x16B374D848n
 */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new Error(`not a WAL position: ${text.slice(0, 40)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The position as 16 hex digits: equal-length strings that compare like the positions (Redis, Lua). */
export function lsnToHex16(lsn: bigint): string {
  return lsn.toString(16).padStart(16, "0");
}

export function hex16ToLsn(text: string): bigint {
  if (!/^[0-9a-f]{16}$/.test(text)) throw new Error(`not a 16-digit WAL position: ${text.slice(0, 40)}`);
  return BigInt(`0x${text}`);
}

/**
 * The primary's WAL insert position now: read after a commit returned, it is at or past that
 * commit's record, so a replica whose replay position reached it shows that commit.
 */
export async function readWalInsertPosition(db: Pool | PoolClient): Promise<bigint> {
  const { rows } = await db.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn");
  return parseLsn(rows[0]?.lsn ?? "");
}
