import type { ActiveClient } from "@accounts/db";
import { generateApiKey, hashApiKey } from "@accounts/domain";
import { createLogger } from "@accounts/runtime";
import { describe, expect, it } from "vitest";
import { ClientRegistry } from "./clientRegistry.ts";

// The database is replaced by an in-memory table here; auth.int.test.ts runs against PostgreSQL.

const log = createLogger({ service: "test", level: "silent" });

function table() {
  const rows: ActiveClient[] = [];
  let loads = 0;
  let failing = false;
  return {
    add(scopes: string[] = ["operations:read"], rateLimit = 100) {
      const { key, prefix } = generateApiKey();
      const row: ActiveClient = {
        id: `cl_${rows.length}`,
        name: `client ${rows.length}`,
        keyHash: hashApiKey(key),
        keyPrefix: prefix,
        scopes,
        rateLimit,
      };
      rows.push(row);
      return { key, row };
    },
    remove(id: string) {
      rows.splice(
        rows.findIndex((row) => row.id === id),
        1,
      );
    },
    load: async () => {
      loads += 1;
      if (failing) throw new Error("database is away");
      return rows.map((row) => ({ ...row }));
    },
    loads: () => loads,
    fail: (value: boolean) => {
      failing = value;
    },
  };
}

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("ClientRegistry", () => {
  it("authenticates from memory after start, with the client's scopes and rate limit", async () => {
    const clients = table();
    const { key, row } = clients.add(["operations:write", "admin"], 42);
    const registry = new ClientRegistry({ load: clients.load, log, refreshIntervalMs: 60_000 });
    await registry.start();
    expect(registry.size).toBe(1);
    for (let i = 0; i < 100; i++) {
      expect(await registry.authenticate(key)).toEqual({
        id: row.id,
        name: row.name,
        scopes: new Set(["operations:write", "admin"]),
        rateLimit: 42,
      });
    }
    expect(clients.loads()).toBe(1);
    registry.close();
  });

  it("ignores scopes it does not know instead of granting them", async () => {
    const clients = table();
    const { key } = clients.add(["operations:read", "superuser"]);
    const registry = new ClientRegistry({ load: clients.load, log, refreshIntervalMs: 60_000 });
    await registry.start();
    expect((await registry.authenticate(key))?.scopes).toEqual(new Set(["operations:read"]));
    registry.close();
  });

  it("reloads on a miss at most once per interval, so unknown keys cannot hammer the database", async () => {
    const time = clock();
    const clients = table();
    const registry = new ClientRegistry({
      load: clients.load,
      log,
      refreshIntervalMs: 60_000,
      now: time.now,
    });
    await registry.start();
    expect(clients.loads()).toBe(1);

    // A key created a moment ago elsewhere is found by the reload its first use triggers.
    const { key, row } = clients.add();
    expect((await registry.authenticate(key))?.id).toBe(row.id);
    expect(clients.loads()).toBe(2);

    const unknown = Array.from({ length: 500 }, () => generateApiKey().key);
    await Promise.all(unknown.map((k) => registry.authenticate(k)));
    for (const k of unknown) expect(await registry.authenticate(k)).toBeUndefined();
    expect(clients.loads()).toBe(2);

    time.advance(1_000);
    await Promise.all(unknown.map((k) => registry.authenticate(k)));
    expect(clients.loads()).toBe(3);
    registry.close();
  });

  it("concurrent misses share one load", async () => {
    const clients = table();
    const registry = new ClientRegistry({ load: clients.load, log, refreshIntervalMs: 60_000 });
    await registry.start();
    const { key } = clients.add();
    const results = await Promise.all(Array.from({ length: 50 }, () => registry.authenticate(key)));
    expect(results.every((client) => client !== undefined)).toBe(true);
    expect(clients.loads()).toBe(2);
    registry.close();
  });

  it("drops a revoked client at the next refresh", async () => {
    const clients = table();
    const { key, row } = clients.add();
    const registry = new ClientRegistry({ load: clients.load, log, refreshIntervalMs: 20 });
    await registry.start();
    expect(await registry.authenticate(key)).toBeDefined();
    clients.remove(row.id);
    const deadline = Date.now() + 2_000;
    while (registry.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(registry.size).toBe(0);
    expect(registry.lookup(row.keyHash)).toBeUndefined();
    registry.close();
  });

  it("keeps serving the last snapshot when a reload fails, and says how old it is", async () => {
    const time = clock();
    const clients = table();
    const { key } = clients.add();
    const registry = new ClientRegistry({
      load: clients.load,
      log,
      refreshIntervalMs: 60_000,
      now: time.now,
    });
    expect(registry.snapshotAgeMs()).toBeUndefined();
    await registry.start();
    clients.fail(true);
    time.advance(30_000);
    await expect(registry.refresh()).rejects.toThrow("database is away");
    expect(await registry.authenticate(key)).toBeDefined();
    expect(await registry.authenticate(generateApiKey().key)).toBeUndefined();
    expect(registry.snapshotAgeMs()).toBe(30_000);
    registry.close();
  });

  it("refuses to start when the first load fails", async () => {
    const clients = table();
    clients.fail(true);
    const registry = new ClientRegistry({ load: clients.load, log, refreshIntervalMs: 60_000 });
    await expect(registry.start()).rejects.toThrow("database is away");
    registry.close();
  });
});
