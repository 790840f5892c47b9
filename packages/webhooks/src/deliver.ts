import type { LookupAddress, LookupOptions } from "node:dns";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedAddress } from "./resolver.ts";
import type { CheckedCallbackUrl } from "./urlGuard.ts";

/** The answer to one delivery attempt: a status code, or why there was none. */
export type DeliveryResult =
  | { statusCode: number; durationMs: number }
  | { error: string; durationMs: number };

export interface WebhookMessage {
  /** A URL that passed `checkCallbackUrl`, with the addresses it was judged on. */
  target: CheckedCallbackUrl;
  /** The JSON body, exactly as signed. */
  body: string;
  /** The signature headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
  headers: Readonly<Record<string, string>>;
}

/** Sends signed webhooks (a small interface, so tests of its users need no server). */
export interface WebhookSender {
  send(message: WebhookMessage): Promise<DeliveryResult>;
  /** Closes idle keep-alive connections. */
  close(): void;
}

export interface WebhookSenderOptions {
  /** Total time for connect, TLS, request and answer (docs/api.md: 10 s). */
  timeoutMs?: number;
  /** Idle keep-alive connections are closed after this (below the usual 5 s server keep-alive). */
  keepAliveMs?: number;
  /** Most connections open to one host:port. */
  maxSocketsPerHost?: number;
  userAgent?: string;
}

/** The body of an answer is not needed; reading more than this is a waste, so the socket is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * True when the answer counts as a delivery (a 2xx).
 *
 * @example
 * isDelivered({ statusCode: 204, durationMs: 12 }) // true
 */
export function isDelivered(result: DeliveryResult): boolean {
  return "statusCode" in result && result.statusCode >= 200 && result.statusCode < 300;
}

/**
 * A lookup that answers with the addresses the guard checked, whatever the name resolves to now:
 * the connection goes where the check said it may (no DNS rebinding between check and connect).
 */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    const family =
      options.family === 4 || options.family === "IPv4"
        ? 4
        : options.family === 6 || options.family === "IPv6"
          ? 6
          : 0;
    const candidates = addresses.filter((a) => family === 0 || a.family === family);
    const first = candidates[0];
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(`no checked IPv${family} address for ${hostname}`);
      error.code = "ENOTFOUND";
      callback(error, "", 0);
      return;
    }
    if (options.all) {
      const all: LookupAddress[] = candidates.map((a) => ({ address: a.address, family: a.family }));
      callback(null, all);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const text = typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
  return text.slice(0, 500);
}

/**
 * An HTTP(S) sender for webhooks: POSTs the body with `content-type: application/json` and the
 * signature headers, to the checked addresses only, never follows redirects (a 3xx is not a
 * delivery, and following it would skip the guard), and gives up after `timeoutMs` in total.
 * Keep-alive connections are reused per host.
 *
 * @example
 * const sender = createWebhookSender({ timeoutMs: 10_000 });
 * const check = await checkCallbackUrl(url, policy);
 * if (check.ok) await sender.send({ target: check, body, headers: signWebhook({ secret, id, body, timestampSeconds }) });
 * // { statusCode: 204, durationMs: 37 } or { error: "ECONNREFUSED: connect ECONNREFUSED 203.0.113.9:443", durationMs: 2 }
 */
export function createWebhookSender(options: WebhookSenderOptions = {}): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agentOptions = {
    keepAlive: true,
    timeout: options.keepAliveMs ?? 4_000,
    maxSockets: options.maxSocketsPerHost ?? 32,
    scheduling: "lifo" as const,
  };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const userAgent = options.userAgent ?? "accounts-processor-webhooks/1";

  function send(message: WebhookMessage): Promise<DeliveryResult> {
    const { url, addresses } = message.target;
    const secure = url.protocol === "https:";
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    return new Promise<DeliveryResult>((resolve) => {
      let settled = false;
      let answeredAfter: number | undefined;
      const finish = (result: DeliveryResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };
      const request = (secure ? https : http).request(url, {
        method: "POST",
        agent: secure ? agents.https : agents.http,
        lookup: pinnedLookup(addresses),
        headers: {
          ...message.headers,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(message.body)),
          "user-agent": userAgent,
        },
      });
      const deadline = setTimeout(() => {
        request.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      request.on("response", (response: IncomingMessage) => {
        const statusCode = response.statusCode ?? 0;
        answeredAfter = elapsed();
        const done = () => finish({ statusCode, durationMs: answeredAfter ?? elapsed() });
        // Drain the answer (so the connection can be reused), up to a cap.
        let received = 0;
        response.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_ANSWER_BYTES) response.destroy();
        });
        response.on("end", done);
        response.on("close", done);
        response.on("error", done);
      });
      request.on("error", (error) => {
        // An error after the status line arrived (the body was cut) does not undo the answer.
        if (answeredAfter === undefined) finish({ error: describeError(error), durationMs: elapsed() });
      });
      request.end(message.body);
    });
  }

  return {
    send,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
