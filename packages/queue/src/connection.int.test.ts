import { freePort } from "@accounts/devstack";
import { capturingLogger } from "@accounts/runtime";
import { waitFor } from "@accounts/tests/harness";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createRedis, isRedisUnavailableError, type RedisClient } from "./connection.ts";

// A Redis outage as the processes see it: a port nobody listens on, reconnect after reconnect.

const open: RedisClient[] = [];
afterEach(() => {
  for (const client of open.splice(0)) client.disconnect();
  vi.restoreAllMocks();
});

/** Resolves once `client` has failed to connect `times` times. */
async function failures(client: RedisClient, times: number): Promise<void> {
  let seen = 0;
  client.on("error", () => {
    seen += 1;
  });
  await waitFor(() => seen >= times, { message: `${times} connection errors` });
}

describe("a connection of the factory while Redis is down", () => {
  it("logs its errors as JSON through the process logger, once for a run of repeats", async () => {
    const plainText = vi.spyOn(console, "error").mockImplementation(() => {});
    const { log, lines } = capturingLogger("info");
    const client = createRedis({ url: `redis://127.0.0.1:${await freePort()}` }, "commands", log);
    open.push(client);
    await failures(client, 3);
    expect(plainText).not.toHaveBeenCalled();
    const errors = lines.filter((line) => String(line.msg).startsWith("Redis connection error"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ level: "warn", connection: "commands", err: { code: "ECONNREFUSED" } });
  });

  it("shares the rate limit among the connections of a process", async () => {
    const { log, lines } = capturingLogger("info");
    const url = `redis://127.0.0.1:${await freePort()}`;
    const clients = [createRedis({ url }, "commands", log), createRedis({ url }, "queue", log)];
    open.push(...clients);
    await Promise.all(clients.map((client) => failures(client, 2)));
    expect(lines.filter((line) => String(line.msg).startsWith("Redis connection error"))).toHaveLength(1);
  });

  it("(negative control) a connection without a listener writes ioredis's plain-text line instead", async () => {
    const plainText = vi.spyOn(console, "error").mockImplementation(() => {});
    const bare = new Redis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: 1 });
    open.push(bare);
    await waitFor(() => plainText.mock.calls.length > 0, { message: "ioredis's unhandled error line" });
    expect(String(plainText.mock.calls[0]?.[0])).toContain("[ioredis] Unhandled error event");
  });
});

describe("isRedisUnavailableError", () => {
  it("takes an outage, a cluster moving its slots and a server loading its data for unavailability", () => {
    for (const message of [
      "Connection is closed.",
      "Stream isn't writeable and enableOfflineQueue options is false",
      "CLUSTERDOWN The cluster is down",
      "MOVED 12099 127.0.0.1:35933",
      "ASK 12099 127.0.0.1:35933",
      "TRYAGAIN Multiple keys request during rehashing of slot",
      "LOADING Redis is loading the dataset in memory",
    ]) {
      expect(isRedisUnavailableError(new Error(message)), message).toBe(true);
    }
    expect(isRedisUnavailableError(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }))).toBe(true);
  });

  it("does not take a bug for an outage", () => {
    for (const message of [
      "WRONGTYPE Operation against a key holding the wrong kind of value",
      "ERR syntax error",
    ]) {
      expect(isRedisUnavailableError(new Error(message)), message).toBe(false);
    }
  });
});
