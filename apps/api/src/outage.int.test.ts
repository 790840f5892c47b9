import { createDb, createPool, type Db, ReplicaReads } from "@accounts/db";
import { freePort } from "@accounts/devstack";
import { newOperationId } from "@accounts/domain";
import { createRedis, type RedisClient } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { useInProcessApi } from "./testing/inProcessApi.ts";

// An outage of PostgreSQL or Redis under a request is a 503 with Retry-After (the caller retries),
// never a 500 (which the contract reserves for bugs). Found by the fault suite: polls during a
// database restart answered 500. The API is the real one (createServices); the "down" dependency is
// swapped for a pool or connection to a port nobody listens on.

const t = useInProcessApi({ reader: ["operations:read"] });
const closed: { db?: Db; redis?: RedisClient } = {};

beforeAll(async () => {
  const nowhere = await freePort();
  closed.db = createDb(createPool(`postgres://postgres@127.0.0.1:${nowhere}/none`, { max: 1 }));
  closed.redis = createRedis(
    { url: `redis://127.0.0.1:${nowhere}` },
    "commands",
    createLogger({ service: "test", level: "silent" }),
  );
});
afterAll(async () => {
  closed.redis?.disconnect();
  await closed.db?.destroy();
});

describe("a request meeting an outage", () => {
  it.each([
    [
      "PostgreSQL",
      () => ({
        db: closed.db as Db,
        reads: new ReplicaReads({
          primary: closed.db as Db,
          replicas: [],
          commitPosition: async () => null,
          maxLagSeconds: 0,
        }),
      }),
    ],
    ["Redis", () => ({ states: { ...t().api.services.states, redis: closed.redis as RedisClient } })],
  ])("answers 503 with Retry-After when %s is down", async (_, down) => {
    const { api } = t();
    const app = createApp({ ...api.app, services: { ...api.services, ...down() } });
    const res = await app.request(`/v1/operations/${newOperationId()}`, {
      headers: { authorization: `Bearer ${t().client("reader").key}` },
    });
    expect(res.status, await res.clone().text()).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "unavailable", status: 503 });
  });
});
