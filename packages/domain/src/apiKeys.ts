import { createHash, randomBytes } from "node:crypto";
import { ulid } from "./ulid.ts";

/**
 * API keys and webhook secrets of API clients.
 *
 * A key is `ak_<id part>_<secret part>`:
 * - the id part is 16 characters of lowercase Crockford base32 (80 random bits). Together with `ak_`
 *   it is the key's *prefix*, stored in clear and shown in listings and audit rows so that an
 *   operator can tell keys apart. It adds nothing to the key's strength.
 * - the secret part is 43 base64url characters: 256 random bits. Only a hash of the whole key is
 *   stored.
 *
 * A plain sha256 is the right hash here (not bcrypt or scrypt): slow hashes protect guessable
 * passwords, and 256 random bits cannot be guessed; a fast hash keeps authentication at one
 * sha256 per request.
 *
 * The parser accepts a secret part of 32 to 128 base64url characters, so that an operator may
 * choose a readable `BOOTSTRAP_API_KEY` for local use; generated keys always have 43.
 */

export const API_KEY_PREFIX_LENGTH = "ak_".length + 16;
const API_KEY_PATTERN = /^ak_[0-9a-hjkmnp-tv-z]{16}_[A-Za-z0-9_-]{32,128}$/;
/** Lowercase Crockford base32: no i, l, o, u, so a key read aloud or retyped is unambiguous. */
const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export interface GeneratedApiKey {
  /** The whole key: shown once to the operator, never stored. */
  key: string;
  /** `ak_` and the id part: stored in clear to identify the key. */
  prefix: string;
}

/**
 * A new random API key (256-bit secret) and its prefix.
 *
 * @example
 * const { key, prefix } = generateApiKey();
 * // key    "ak_7m2q9x0c4hz1kd3r_Jx0cQ...43 chars"
 * // prefix "ak_7m2q9x0c4hz1kd3r"
 */
export function generateApiKey(): GeneratedApiKey {
  const prefix = `ak_${randomIdPart()}`;
  return { key: `${prefix}_${randomBytes(32).toString("base64url")}`, prefix };
}

/**
 * The stored hash of a key: sha256 of its UTF-8 bytes (32 bytes).
 *
 * @example
 * hashApiKey("ak_...").length // 32
 */
export function hashApiKey(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/**
 * The prefix of a key that looks like an API key (`ak_` and the 16-character id part), else
 * undefined. Safe to store and log: it is not part of the secret.
 *
 * @example
 * apiKeyPrefix("ak_7m2q9x0c4hz1kd3r_Jx0c...") // "ak_7m2q9x0c4hz1kd3r"
 * apiKeyPrefix("hunter2")                      // undefined
 */
export function apiKeyPrefix(key: string): string | undefined {
  return looksLikeApiKey(key) ? key.slice(0, API_KEY_PREFIX_LENGTH) : undefined;
}

/**
 * A cheap format check before hashing: anything that fails it cannot be a key, so it is refused
 * without touching the client registry (and long junk is never hashed).
 *
 * @example
 * looksLikeApiKey(generateApiKey().key) // true
 * looksLikeApiKey("Bearer abc")         // false
 */
export function looksLikeApiKey(text: string): boolean {
  return text.length <= 256 && API_KEY_PATTERN.test(text);
}

/**
 * A webhook signing secret in the Standard Webhooks format: `whsec_` and the base64 of 32 random
 * bytes (the HMAC-SHA256 key).
 *
 * @example
 * generateWebhookSecret() // "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw..."
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * A new API client id: `cl_` and a ULID (sortable by creation time, unrelated to the key, so that
 * ids can appear in operations, logs and audit rows without saying anything about the key).
 *
 * @example
 * newClientId() // "cl_01KB2Y9V6Q..."
 */
export function newClientId(): string {
  return `cl_${ulid()}`;
}

function randomIdPart(): string {
  // 10 bytes = 80 bits = exactly 16 base32 characters.
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ID_ALPHABET[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return out;
}
