import { describe, expect, it } from "vitest";
import {
  API_KEY_PREFIX_LENGTH,
  apiKeyPrefix,
  generateApiKey,
  generateWebhookSecret,
  hashApiKey,
  looksLikeApiKey,
  newClientId,
} from "./apiKeys.ts";

describe("generateApiKey", () => {
  it("makes keys of the documented shape whose prefix is the start of the key", () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^ak_[0-9a-hjkmnp-tv-z]{16}_[A-Za-z0-9_-]{43}$/);
    expect(prefix).toBe(key.slice(0, API_KEY_PREFIX_LENGTH));
    expect(prefix).toMatch(/^ak_[0-9a-z]{16}$/);
    expect(looksLikeApiKey(key)).toBe(true);
  });

  it("carries 256 random bits in the secret part", () => {
    const { key } = generateApiKey();
    const secret = key.slice(API_KEY_PREFIX_LENGTH + 1);
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
  });

  it("never repeats a key or a prefix", () => {
    const keys = new Set<string>();
    const prefixes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const { key, prefix } = generateApiKey();
      keys.add(key);
      prefixes.add(prefix);
    }
    expect(keys.size).toBe(2000);
    expect(prefixes.size).toBe(2000);
  });
});

describe("hashApiKey", () => {
  it("is the sha256 of the key", () => {
    expect(hashApiKey("abc").toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(hashApiKey(generateApiKey().key)).toHaveLength(32);
  });
});

describe("looksLikeApiKey", () => {
  it.each([
    "",
    "abc",
    "Bearer ak_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "ak_0123456789abcdef",
    "ak_0123456789abcdef_",
    "ak_0123456789abcdef_short",
    "ak_0123456789ABCDEF_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "ak_0123456789abcdeu_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "ak_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "ak_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",
    `ak_0123456789abcdef_${"A".repeat(129)}`,
    "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  ])("refuses %j", (text) => {
    expect(looksLikeApiKey(text)).toBe(false);
    expect(apiKeyPrefix(text)).toBeUndefined();
  });

  it("accepts a hand-made key with a long enough secret part (a local BOOTSTRAP_API_KEY)", () => {
    const key = "ak_10ca1dev00000000_local-development-key-not-for-production";
    expect(looksLikeApiKey(key)).toBe(true);
    expect(apiKeyPrefix(key)).toBe("ak_10ca1dev00000000");
  });
});

describe("generateWebhookSecret", () => {
  it("follows the Standard Webhooks format: whsec_ and base64 of 32 bytes", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice("whsec_".length), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});

describe("newClientId", () => {
  it("is cl_ and a ULID", () => {
    expect(newClientId()).toMatch(/^cl_[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});
