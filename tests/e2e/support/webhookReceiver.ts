import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** Decides the status code of an answer from the request and how many came to its path before. */
export type Responder = (request: ReceivedWebhook, earlierOnPath: number) => number;

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly received: ReceivedWebhook[];
  on(path: string): ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * A local HTTP server standing in for a caller's webhook endpoint: records every request and
 * answers with the status `respond` picks (204 by default).
 *
 * @example
 * const receiver = await startWebhookReceiver((req, n) => (req.path === "/flaky" && n < 2 ? 500 : 204));
 */
export async function startWebhookReceiver(respond: Responder = () => 204): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const on = (path: string) => received.filter((r) => r.path === path);
  const server = createServer(async (req, res) => {
    const request: ReceivedWebhook = {
      path: req.url ?? "/",
      method: req.method ?? "",
      headers: flatHeaders(req),
      body: await readBody(req),
    };
    const earlier = on(request.path).length;
    received.push(request);
    res.statusCode = respond(request, earlier);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
