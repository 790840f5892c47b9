import { chmodSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { cloneTemplate } from "./databases.ts";
import { isPortFree } from "./ports.ts";
import { type PostgresServer, startPostgres } from "./postgres.ts";
import { type RedisServer, startRedis } from "./redis.ts";

// Real servers: a second PostgreSQL and Redis started here, next to the harness's own, in a
// folder inside the harness's temporary folder (removed with it).
const root = mkdtempSync(join(inject("harnessDir"), "devstack-"));
// When root, PostgreSQL runs as `postgres`, which must be able to enter this folder.
chmodSync(root, 0o755);

const started: Array<PostgresServer | RedisServer> = [];
afterAll(async () => {
  await Promise.allSettled(started.map((server) => server.stop()));
});

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("startPostgres", () => {
  it("initialises a cluster, serves it, stops, and finds its data again on restart", async () => {
    const server = await startPostgres({
      dataDir: join(root, "pg"),
      quiet: true,
      settings: { fsync: "off" },
    });
    started.push(server);
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    await query(server.url, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)");

    const firstPid = server.pid;
    await server.stop();
    expect(isAlive(firstPid)).toBe(false);
    expect(await isPortFree(server.port)).toBe(true);

    await server.restart();
    expect(server.pid).not.toBe(firstPid);
    expect(await query(server.url, "SELECT id FROM kept")).toEqual([{ id: 42 }]);

    await server.kill("SIGKILL");
    expect(isAlive(server.pid)).toBe(false);
    await server.restart(); // crash recovery
    expect(await query(server.url, "SELECT id FROM kept")).toEqual([{ id: 42 }]);
    await server.stop();
  });

  it("refuses the machine's standard port", async () => {
    await expect(startPostgres({ dataDir: join(root, "pg-5432"), port: 5432, quiet: true })).rejects.toThrow(
      /standard port/,
    );
  });
});

describe("startRedis", () => {
  it("keeps what the AOF holds across kill -9 and restart", async () => {
    const server = await startRedis({ dataDir: join(root, "redis"), appendfsync: "always", quiet: true });
    started.push(server);
    const write = new Redis(server.url);
    await write.set("survivor", "yes");
    expect(await write.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
    write.disconnect();

    const firstPid = server.pid;
    await server.kill("SIGKILL");
    expect(isAlive(firstPid)).toBe(false);
    await server.restart();

    const read = new Redis(server.url);
    try {
      expect(await read.get("survivor")).toBe("yes");
    } finally {
      read.disconnect();
    }
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
  });
});

describe("cloneTemplate", () => {
  it("gives a migrated database that drop() removes", async () => {
    const admin = inject("adminDatabaseUrl");
    const clone = await cloneTemplate(admin, inject("templateDatabase"));
    const [row] = await query<{ count: string }>(clone.url, "SELECT count(*) FROM currencies");
    expect(row?.count).toBe("4");

    await clone.drop();
    const left = await query(admin, `SELECT 1 FROM pg_database WHERE datname = '${clone.name}'`);
    expect(left).toEqual([]);
  });
});
