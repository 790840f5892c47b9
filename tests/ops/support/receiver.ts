import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Receiver {
  url: string;
  /** Requests received so far, by path. */
  received(path: string): IncomingMessage[];
  close(): Promise<void>;
}

/**
 * A callback endpoint on 127.0.0.1. `answer` decides each request: a status code, or `"hang"` to
 * never answer (until closed), which keeps a delivery attempt in flight.
 *
 * @example
 * const receiver = await startReceiver((path) => (path === "/slow" ? "hang" : 204));
 */
export async function startReceiver(answer: (path: string) => number | "hang"): Promise<Receiver> {
  const requests: IncomingMessage[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    requests.push(req);
    const decided = answer(req.url ?? "/");
    if (decided === "hang") hanging.push(res);
    else res.writeHead(decided).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: (path) => requests.filter((req) => req.url === path),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
