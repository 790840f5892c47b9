import { createServer } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, createPool, insertClient } from "@accounts/db";
import { generateApiKey, generateWebhookSecret, hashApiKey, newClientId, type Scope } from "@accounts/domain";
import type { AppStack } from "@accounts/tests/harness";
import type { FetchLike } from "../transport.ts";

/** Test support for the client's tests against the real stack (not part of the package). */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

export interface Caller {
  id: string;
  apiKey: string;
  webhookSecret: string;
}

/**
 * Registers an API client in the stack's database, as `npm run ctl -- clients create` does (only the
 * key's hash is stored; the secret is kept to sign webhooks). The API loads an unknown key on its
 * first use, so the key works at once.
 *
 * @example
 * const caller = await createCaller(stack, "wallet", ["operations:write", "operations:read"]);
 */
export async function createCaller(
  stack: AppStack,
  name: string,
  scopes: readonly Scope[],
  options: { rateLimit?: number } = {},
): Promise<Caller> {
  const db = createDb(createPool(stack.databaseUrl, { max: 1 }));
  try {
    const { key, prefix } = generateApiKey();
    const caller = { id: newClientId(), apiKey: key, webhookSecret: generateWebhookSecret() };
    await insertClient(db, {
      id: caller.id,
      name,
      keyHash: hashApiKey(key),
      keyPrefix: prefix,
      scopes,
      webhookSecret: caller.webhookSecret,
      ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
    });
    return caller;
  } finally {
    await db.destroy();
  }
}

export interface SentRequest {
  method: string;
  path: string;
  body: string | undefined;
  /** Set once the answer (or the failure) came. */
  status?: number | "no answer";
}

/**
 * The global fetch, recording every request the client makes (to count requests and to look at
 * what was in flight together).
 */
export function recordingFetch(): { fetch: FetchLike; sent: SentRequest[]; inFlight: () => SentRequest[] } {
  const sent: SentRequest[] = [];
  const fetchFn: FetchLike = async (url, init) => {
    const request: SentRequest = {
      method: init.method ?? "GET",
      path: new URL(url).pathname,
      body: typeof init.body === "string" ? init.body : undefined,
    };
    sent.push(request);
    try {
      const response = await fetch(url, init);
      request.status = response.status;
      return response;
    } catch (error) {
      request.status = "no answer";
      throw error;
    }
  };
  return { fetch: fetchFn, sent, inFlight: () => sent.filter((r) => r.status === undefined) };
}

/** A unique name for this run (user ids, keys), so that files sharing nothing never collide. */
export function runId(label: string): string {
  return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export interface Delivery {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The exact bytes received. */
  body: Buffer;
}

/**
 * A local HTTP endpoint standing in for a caller's webhook receiver: answers 204 and keeps every
 * delivery with its exact bytes.
 */
export async function startReceiver(): Promise<{
  url: string;
  deliveries: Delivery[];
  close(): Promise<void>;
}> {
  const deliveries: Delivery[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    deliveries.push({ path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(204).end();
  });
  await new Promise<void>((resolvePromise) => server.listen(0, "127.0.0.1", resolvePromise));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    deliveries,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}
