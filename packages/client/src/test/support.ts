import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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
 * Creates an API client the way an operator does: `npm run ctl -- clients create --json` against
 * the stack's database. The API loads an unknown key on its first use, so the key works at once.
 *
 * @example
 * const caller = await createCaller(stack, "wallet", ["operations:write", "operations:read"]);
 */
export function createCaller(
  stack: AppStack,
  name: string,
  scopes: readonly string[],
  options: { rateLimit?: number } = {},
): Promise<Caller> {
  const args = [join(ROOT, "apps", "ctl", "src", "main.ts"), "clients", "create", "--name", name];
  args.push("--scopes", scopes.join(","), "--json");
  if (options.rateLimit !== undefined) args.push("--rate-limit", String(options.rateLimit));
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: stack.databaseUrl },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`clients create failed: ${stderr || error.message}`));
        const created = JSON.parse(stdout) as { id: string; apiKey: string; webhookSecret: string };
        resolvePromise({ id: created.id, apiKey: created.apiKey, webhookSecret: created.webhookSecret });
      },
    );
  });
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
