import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does with one request. */
export type ProxyAction =
  /** Pass it to the API and its answer back. */
  | "forward"
  /**
   * Close the connection without reading the request, as a server does with a keep-alive
   * connection it closed while the client was reusing it. The API never sees the request.
   */
  | "close-before"
  /**
   * Pass it to the API, let the API answer, and close the connection instead of passing the answer
   * back: the operation was accepted, the caller does not know.
   */
  | "close-after";

export interface ProxiedRequest {
  method: string;
  path: string;
  /** 1 for the first request on its connection: 2 and more are reuses of a kept-alive connection. */
  onConnection: number;
  /** 1 for the first request the proxy saw. */
  seq: number;
}

export interface FaultyProxy {
  /** `http://127.0.0.1:<port>`: give it to the client as baseUrl. */
  readonly url: string;
  readonly seen: (ProxiedRequest & { action: ProxyAction })[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the API that breaks connections on request (fault tests of the client):
 * `decide` picks, for each request, whether it passes, dies before reaching the API, or dies after
 * the API answered.
 *
 * @example
 * const proxy = await startFaultyProxy(stack.apiUrl, (r) => (r.seq % 3 === 0 ? "close-after" : "forward"));
 */
export async function startFaultyProxy(
  target: string,
  decide: (request: ProxiedRequest) => ProxyAction,
): Promise<FaultyProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const seen: FaultyProxy["seen"] = [];
  const perConnection = new WeakMap<object, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const onConnection = (perConnection.get(req.socket) ?? 0) + 1;
    perConnection.set(req.socket, onConnection);
    const info = { method: req.method ?? "GET", path: req.url ?? "/", onConnection, seq: seen.length + 1 };
    const action = decide(info);
    seen.push({ ...info, action });
    if (action === "close-before") {
      req.socket.destroy();
      return;
    }
    const headers = { ...req.headers, host: upstream.host };
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, agent },
      (answer) => {
        if (action === "close-after") {
          // Read the whole answer first: the API has done everything it would do for this request.
          answer.resume();
          answer.on("end", () => req.socket.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", () => req.socket.destroy());
    req.pipe(forwarded);
  });
  // Keep-alive connections stay open between the client's requests, as the API's do.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
