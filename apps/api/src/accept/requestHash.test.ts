import { operationRequestSchema } from "@accounts/domain";
import { describe, expect, it } from "vitest";
import { requestHash } from "./requestHash.ts";

const hashOf = (json: string) => requestHash(operationRequestSchema.parse(JSON.parse(json)));

describe("requestHash", () => {
  it("is the same whatever the key order of the body, metadata included", () => {
    const a = hashOf(
      '{"type":"credit","account":{"userId":"a","currency":"BTC"},"amount":"1","metadata":{"x":1,"y":{"b":2,"a":1}}}',
    );
    const b = hashOf(
      '{"metadata":{"y":{"a":1,"b":2},"x":1},"amount":"1","account":{"currency":"BTC","userId":"a"},"type":"credit"}',
    );
    expect(a).toBe(b);
  });

  it("counts defaults as given: a debit without bucket equals one from available", () => {
    const a = hashOf('{"type":"debit","account":{"userId":"a","currency":"BTC"},"amount":"1"}');
    const b = hashOf(
      '{"bucket":"available","type":"debit","account":{"userId":"a","currency":"BTC"},"amount":"1"}',
    );
    expect(a).toBe(b);
  });

  it("differs when anything that matters differs", () => {
    const base = '{"type":"credit","account":{"userId":"a","currency":"BTC"},"amount":"1"}';
    const hashes = new Set([
      hashOf(base),
      hashOf(base.replace('"1"', '"2"')),
      hashOf(base.replace('"a"', '"b"')),
      hashOf(base.replace("credit", "reserve")),
      hashOf('{"type":"credit","account":{"userId":"a","currency":"BTC"},"amount":"1","metadata":{"x":1}}'),
      hashOf('{"type":"credit","account":{"userId":"a","currency":"BTC"},"amount":"1","metadata":{"x":2}}'),
      hashOf(
        '{"type":"credit","account":{"userId":"a","currency":"BTC"},"amount":"1","callbackUrl":"https://h.example/x"}',
      ),
    ]);
    expect(hashes.size).toBe(7);
  });
});
