import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import "./provided-context.ts";

/**
 * URL of the harness's Redis, shared by all test files: isolate keys with uniquePrefix().
 *
 * @example
 * const connection = new Redis(harnessRedisUrl(), { maxRetriesPerRequest: null });
 */
export function harnessRedisUrl(): string {
  return inject("redisUrl");
}

let counter = 0;

/**
 * A key prefix no other test (in this run or a parallel file) uses, for BullMQ queues and any
 * Redis key a test writes: `test-<label>-<unique>`.
 *
 * @example
 * const queue = new Queue("ops", { connection, prefix: uniquePrefix("routing") });
 */
export function uniquePrefix(label: string): string {
  counter += 1;
  const safe = label.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 40);
  return `test-${safe}-${process.pid.toString(36)}${counter.toString(36)}${randomBytes(3).toString("hex")}`;
}
