import { applyOperationBatch, createDb, createPool, insertClient } from "@accounts/db";
import {
  generateApiKey,
  generateWebhookSecret,
  hashApiKey,
  newClientId,
  newQueuedOperation,
  type OperationRequest,
  type Scope,
} from "@accounts/domain";
import { type ApplyJob, allPartitionQueues, catalogOf } from "@accounts/queue";
import { createLogger } from "@accounts/runtime";
import { harnessRedisUrl, uniquePrefix, useTestDatabase } from "@accounts/tests/harness";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { Queue } from "bullmq";
import { afterAll, beforeAll } from "vitest";
import { createApp } from "../app.ts";
import { loadApiConfig } from "../config.ts";
import { type Api, createServices } from "../createServices.ts";
import type { ApiEnv } from "../http/context.ts";

/** The API of a test file, served in-process over the real services (PostgreSQL, Redis). */
export interface InProcessApi {
  readonly api: Api;
  readonly app: OpenAPIHono<ApiEnv>;
  /** The queue namespace of this file (its partition queues and records). */
  readonly namespace: string;
  readonly databaseUrl: string;
  /** The client registered under `name` (`admin`: the bootstrap client, with every scope). */
  client(name: string): { id: string; key: string };
  /**
   * A request with `name`'s key (none with null), a JSON body when `body` is given.
   *
   * @example
   * await t.call("writer", "POST", "/v1/operations", { type: "credit", ... }, { "idempotency-key": "k1" })
   */
  /** Operations waiting in the partition queues of this file (stored, not applied: no worker runs). */
  waitingOperations(): Promise<number>;
  /**
   * Applies `requests` as `name`'s client straight through the ledger (no worker runs here), as a
   * worker would have, and returns their ids.
   */
  apply(name: string, ...requests: OperationRequest[]): Promise<string[]>;
  call(
    name: string | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
}

/**
 * Gives the calling test file the API wired by `createServices`, exactly as `main.ts` wires it, on
 * its own database (cloned from the harness template) and queue namespace, with API clients holding
 * the given scopes (registered before the API starts, so their keys work at once). No worker runs:
 * operations stay `accepted` unless a test applies them. Call it once at the top of the file.
 *
 * @example
 * const t = useInProcessApi({ writer: ["operations:write"], reader: ["operations:read"] });
 * it("...", async () => { const res = await t().call("writer", "POST", "/v1/operations", body); });
 */
export function useInProcessApi(
  clients: Record<string, readonly Scope[]>,
  env: Record<string, string> = {},
): () => InProcessApi {
  const database = useTestDatabase();
  let current: InProcessApi | undefined;
  const keys = new Map<string, { id: string; key: string }>();

  beforeAll(async () => {
    const db = createDb(createPool(database.url(), { max: 1 }));
    try {
      for (const [name, scopes] of Object.entries(clients)) {
        const { key, prefix } = generateApiKey();
        const id = newClientId();
        await insertClient(db, {
          id,
          name,
          keyHash: hashApiKey(key),
          keyPrefix: prefix,
          scopes,
          webhookSecret: generateWebhookSecret(),
        });
        keys.set(name, { id, key });
      }
    } finally {
      await db.destroy();
    }
    const bootstrap = generateApiKey().key;
    const namespace = uniquePrefix("api").toLowerCase().slice(0, 32);
    const config = loadApiConfig({
      DATABASE_URL: database.url(),
      REDIS_URL: harnessRedisUrl(),
      QUEUE_NAMESPACE: namespace,
      PARTITIONS: "4",
      BOOTSTRAP_API_KEY: bootstrap,
      LOG_LEVEL: "silent",
      ...env,
    });
    const api = await createServices(config, { log: createLogger({ service: "api", level: "silent" }) });
    keys.set("admin", { id: "", key: bootstrap });
    const app = createApp(api.app);
    api.setReady(true);
    current = {
      api,
      app,
      namespace,
      databaseUrl: database.url(),
      client(name) {
        const found = keys.get(name);
        if (!found) throw new Error(`no client ${name} in this file`);
        return found;
      },
      async waitingOperations() {
        let count = 0;
        for (const ref of allPartitionQueues(catalogOf(config))) {
          const queue = new Queue(ref.name, { connection: api.services.states.redis, prefix: ref.prefix });
          try {
            for (const job of await queue.getWaiting()) count += (job.data as ApplyJob).operations.length;
          } finally {
            await queue.close();
          }
        }
        return count;
      },
      async apply(name, ...requests) {
        const operations = requests.map((request) => newQueuedOperation(request, this.client(name).id));
        const scales = await api.services.currencies.all();
        await applyOperationBatch(api.services.db, { partition: 0, operations, scales });
        return operations.map((op) => op.id);
      },
      async call(name, method, path, body, headers = {}) {
        const auth: Record<string, string> =
          name === null ? {} : { authorization: `Bearer ${this.client(name).key}` };
        if (body === undefined) return app.request(path, { method, headers: { ...auth, ...headers } });
        const text = typeof body === "string" ? body : JSON.stringify(body);
        // As an HTTP client sends it: the body rules read the declared length (see bodyRules.ts).
        const sent = {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(text)),
        };
        return app.request(path, { method, headers: { ...auth, ...sent, ...headers }, body: text });
      },
    };
  });
  afterAll(async () => {
    await current?.api.close();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("useInProcessApi(): the API exists only while the file's tests run");
    return current;
  };
}
