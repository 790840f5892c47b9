import { generateApiKey } from "@accounts/domain";
import { describe, expect, it } from "vitest";
import { readCredentials } from "./credentials.ts";

const { key } = generateApiKey();
const basic = (text: string) => `Basic ${Buffer.from(text, "utf8").toString("base64")}`;

describe("readCredentials", () => {
  it("reads a bearer key, whatever the case of the scheme", () => {
    expect(readCredentials(`Bearer ${key}`)).toEqual({ kind: "key", key, scheme: "bearer" });
    expect(readCredentials(`bearer ${key}`)).toEqual({ kind: "key", key, scheme: "bearer" });
    expect(readCredentials(`BEARER  ${key} `)).toEqual({ kind: "key", key, scheme: "bearer" });
  });

  it("reads the key from HTTP Basic: the password, or the username when the password is empty", () => {
    expect(readCredentials(basic(`ops:${key}`))).toEqual({ kind: "key", key, scheme: "basic" });
    expect(readCredentials(basic(`:${key}`))).toEqual({ kind: "key", key, scheme: "basic" });
    expect(readCredentials(basic(`${key}:`))).toEqual({ kind: "key", key, scheme: "basic" });
  });

  it("says missing when there is no header", () => {
    expect(readCredentials(undefined)).toEqual({ kind: "missing" });
    expect(readCredentials("")).toEqual({ kind: "missing" });
    expect(readCredentials("   ")).toEqual({ kind: "missing" });
  });

  it.each([
    ["a bare key", key],
    ["another scheme", `Token ${key}`],
    ["a bearer without key", "Bearer"],
    ["a bearer with two words", `Bearer ${key} extra`],
    ["a bearer that is not a key", "Bearer hunter2"],
    ["a key with a trailing character", `Bearer ${key}x`.replace(/x$/, "!")],
    ["basic without a colon", basic(key)],
    ["basic with a non-key password", basic("ops:hunter2")],
    ["basic with neither", basic(":")],
    ["basic that is not base64", "Basic !!!"],
    ["a huge header", `Bearer ${"a".repeat(5000)}`],
  ])("says malformed for %s", (_label, header) => {
    expect(readCredentials(header)).toEqual({ kind: "malformed" });
  });
});
