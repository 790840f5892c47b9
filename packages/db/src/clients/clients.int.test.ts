import {
  generateApiKey,
  generateWebhookSecret,
  hashApiKey,
  newClientId,
  SCOPES,
  type Scope,
} from "@accounts/domain";
import { useTestDatabase } from "@accounts/tests/harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertAuditEvents } from "../audit/insertAuditEvents.ts";
import { createDb, createPool, type Db } from "../pool.ts";
import { ensureBootstrapClient } from "./ensureBootstrapClient.ts";
import { findActiveClientByKeyHash } from "./findActiveClientByKeyHash.ts";
import { getClientSecret } from "./getClientSecret.ts";
import { insertClient } from "./insertClient.ts";
import { listClients } from "./listClients.ts";
import { loadActiveClients } from "./loadActiveClients.ts";
import { revokeClient } from "./revokeClient.ts";

// Real PostgreSQL (the harness clones the migrated template for this file); nothing is faked.

const database = useTestDatabase();
let db: Db;

beforeAll(() => {
  db = createDb(createPool(database.url(), { max: 8 }));
});
afterAll(async () => {
  await db.destroy();
});

async function newClient(name: string, scopes: Scope[] = ["operations:read"], rateLimit?: number) {
  const { key, prefix } = generateApiKey();
  const webhookSecret = generateWebhookSecret();
  const client = await insertClient(db, {
    id: newClientId(),
    name,
    keyHash: hashApiKey(key),
    keyPrefix: prefix,
    scopes,
    webhookSecret,
    ...(rateLimit !== undefined ? { rateLimit } : {}),
  });
  return { key, prefix, webhookSecret, client };
}

describe("clients", () => {
  it("stores a client and finds it by the hash of its key, never exposing secrets in summaries", async () => {
    const { key, prefix, webhookSecret, client } = await newClient("engine", ["operations:write"], 50);
    expect(client).toEqual({
      id: expect.stringMatching(/^cl_/),
      name: "engine",
      keyPrefix: prefix,
      scopes: ["operations:write"],
      rateLimit: 50,
      createdAt: expect.any(Date),
      revokedAt: null,
    });
    const found = await findActiveClientByKeyHash(db, hashApiKey(key));
    expect(found).toMatchObject({ id: client.id, keyPrefix: prefix, rateLimit: 50 });
    expect(found?.keyHash.equals(hashApiKey(key))).toBe(true);
    expect(await findActiveClientByKeyHash(db, hashApiKey(generateApiKey().key))).toBeUndefined();
    expect(await getClientSecret(db, client.id)).toBe(webhookSecret);
    expect(await getClientSecret(db, "cl_nobody")).toBeUndefined();

    const listed = await listClients(db);
    const mine = listed.find((row) => row.id === client.id);
    expect(mine).toEqual(client);
    expect(JSON.stringify(listed)).not.toContain(webhookSecret);
  });

  it("uses the default rate limit of 10,000 per second", async () => {
    const { client } = await newClient("default-rate");
    expect(client.rateLimit).toBe(10_000);
  });

  it("revokes once: the key stops being found, the secret stays readable for pending webhooks", async () => {
    const { key, webhookSecret, client } = await newClient("to-revoke");
    expect((await loadActiveClients(db)).map((row) => row.id)).toContain(client.id);
    expect(await revokeClient(db, client.id)).toBe(true);
    expect(await revokeClient(db, client.id)).toBe(false);
    expect(await revokeClient(db, "cl_nobody")).toBe(false);
    expect(await findActiveClientByKeyHash(db, hashApiKey(key))).toBeUndefined();
    expect((await loadActiveClients(db)).map((row) => row.id)).not.toContain(client.id);
    expect((await listClients(db)).find((row) => row.id === client.id)?.revokedAt).toBeInstanceOf(Date);
    expect(await getClientSecret(db, client.id)).toBe(webhookSecret);
  });

  it("refuses a second client with the same key", async () => {
    const { key, prefix } = await newClient("first");
    await expect(
      insertClient(db, {
        id: newClientId(),
        name: "second",
        keyHash: hashApiKey(key),
        keyPrefix: prefix,
        scopes: [],
        webhookSecret: generateWebhookSecret(),
      }),
    ).rejects.toMatchObject({ code: "23505" });
  });
});

describe("ensureBootstrapClient", () => {
  it("creates one client with every scope however many processes race, and audits it once", async () => {
    const { key } = generateApiKey();
    const results = await Promise.all(Array.from({ length: 6 }, () => ensureBootstrapClient(db, key)));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.clientId)).size).toBe(1);

    const client = await findActiveClientByKeyHash(db, hashApiKey(key));
    expect(client).toMatchObject({ name: "bootstrap", id: results[0]?.clientId });
    expect([...(client?.scopes ?? [])].sort()).toEqual([...SCOPES].sort());

    const audit = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("client_id", "=", client?.id ?? "")
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ event: "client.created", actor: "bootstrap" });
    expect(JSON.stringify(audit)).not.toContain(key);

    expect(await ensureBootstrapClient(db, key)).toEqual({
      created: false,
      clientId: client?.id,
      revoked: false,
    });
  });

  it("leaves a revoked bootstrap client revoked", async () => {
    const { key } = generateApiKey();
    const { clientId } = await ensureBootstrapClient(db, key);
    await revokeClient(db, clientId);
    expect(await ensureBootstrapClient(db, key)).toEqual({ created: false, clientId, revoked: true });
    expect(await findActiveClientByKeyHash(db, hashApiKey(key))).toBeUndefined();
  });

  it("refuses a key that does not look like an API key, without echoing it", async () => {
    await expect(ensureBootstrapClient(db, "hunter2-secret")).rejects.toThrow(
      /does not look like an API key/,
    );
    await expect(ensureBootstrapClient(db, "hunter2-secret")).rejects.not.toThrow(/hunter2/);
  });
});

describe("insertAuditEvents", () => {
  it("writes many events in one statement, with defaults for what is omitted", async () => {
    const at = new Date("2026-11-27T10:00:00.123Z");
    const written = await insertAuditEvents(db, [
      { event: "test.one", at, clientId: "cl_x", ip: "10.0.0.1", requestId: "r1", details: { reason: "x" } },
      { event: "test.two", actor: "ops", details: { quote: `it's "quoted" {}` } },
      { event: "test.three" },
    ]);
    expect(written).toBe(3);
    expect(await insertAuditEvents(db, [])).toBe(0);
    const rows = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("event", "like", "test.%")
      .orderBy("id")
      .execute();
    expect(rows).toMatchObject([
      {
        event: "test.one",
        at,
        client_id: "cl_x",
        actor: null,
        ip: "10.0.0.1",
        request_id: "r1",
        details: { reason: "x" },
      },
      { event: "test.two", client_id: null, actor: "ops", details: { quote: `it's "quoted" {}` } },
      { event: "test.three", details: {} },
    ]);
    expect(rows[2]?.at).toBeInstanceOf(Date);
  });
});
