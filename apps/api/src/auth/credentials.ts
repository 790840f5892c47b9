import { looksLikeApiKey } from "@accounts/domain";

/** What the Authorization header carries, before any lookup. */
export type Credentials =
  | { kind: "missing" }
  | { kind: "malformed" }
  | { kind: "key"; key: string; scheme: "bearer" | "basic" };

/** Longer headers are refused unread: a key with its scheme fits in a few hundred characters. */
const MAX_HEADER_LENGTH = 1024;
const BEARER = /^bearer +([^\s]+) *$/i;
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i;

/**
 * Reads the API key from an Authorization header: `Bearer <key>`, or HTTP Basic (for browsers
 * opening the dashboard) where the password is the key, or the username when the password is
 * empty. Anything that cannot be a key is `malformed`, without hashing it.
 *
 * @example
 * readCredentials("Bearer ak_...")                  // { kind: "key", key: "ak_...", scheme: "bearer" }
 * readCredentials(`Basic ${btoa("ops:ak_...")}`)    // { kind: "key", key: "ak_...", scheme: "basic" }
 * readCredentials(undefined)                        // { kind: "missing" }
 */
export function readCredentials(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === "") return { kind: "missing" };
  if (header.length > MAX_HEADER_LENGTH) return { kind: "malformed" };

  const bearer = BEARER.exec(header);
  if (bearer?.[1] !== undefined) {
    return looksLikeApiKey(bearer[1])
      ? { kind: "key", key: bearer[1], scheme: "bearer" }
      : { kind: "malformed" };
  }

  const basic = BASIC.exec(header);
  if (basic?.[1] !== undefined) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return { kind: "malformed" };
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = password === "" ? username : password;
    return looksLikeApiKey(key) ? { kind: "key", key, scheme: "basic" } : { kind: "malformed" };
  }
  return { kind: "malformed" };
}
