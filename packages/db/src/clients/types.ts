import type { Scope } from "@accounts/domain";

/**
 * An API client as operators see it. Never carries the key hash or the webhook secret, so that a
 * listing can be printed or logged whole.
 */
export interface ClientSummary {
  id: string;
  name: string;
  /** `ak_` and the key's id part: identifies the key, reveals nothing of its secret. */
  keyPrefix: string;
  scopes: string[];
  /** Requests per second (per API instance). */
  rateLimit: number;
  createdAt: Date;
  revokedAt: Date | null;
}

/** What authentication needs to know of a client that is not revoked. */
export interface ActiveClient {
  id: string;
  name: string;
  /** sha256 of the key (32 bytes). */
  keyHash: Buffer;
  keyPrefix: string;
  /** As stored; a scope unknown to this version is the caller's to ignore. */
  scopes: string[];
  rateLimit: number;
}

/** A client to create. The key itself is never stored: only its hash and its prefix. */
export interface NewClient {
  id: string;
  name: string;
  keyHash: Buffer;
  keyPrefix: string;
  scopes: readonly Scope[];
  webhookSecret: string;
  /** Requests per second; the table's default (10,000) when omitted. */
  rateLimit?: number;
}

/** The columns of a `ClientSummary`, shared by every query that returns one. */
export const CLIENT_SUMMARY_COLUMNS = [
  "id",
  "name",
  "key_prefix as keyPrefix",
  "scopes",
  "rate_limit as rateLimit",
  "created_at as createdAt",
  "revoked_at as revokedAt",
] as const;

/** The columns of an `ActiveClient`. */
export const ACTIVE_CLIENT_COLUMNS = [
  "id",
  "name",
  "key_hash as keyHash",
  "key_prefix as keyPrefix",
  "scopes",
  "rate_limit as rateLimit",
] as const;
