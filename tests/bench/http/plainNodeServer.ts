/**
 * The reference of the API's HTTP cost: a plain `node:http` server doing the least a JSON POST
 * needs — read the body, `JSON.parse` it, answer 202 with a small JSON body — and nothing else (no
 * validation, authentication, queue or log). The benchmark drives it with the same load generator as
 * the API and measures its CPU the same way (httpCost.ts), so "API CPU per POST / this" is the
 * price of everything the API does on top of HTTP itself.
 *
 * Env: PORT (0: any free port), HOST. Prints `listening <port>` on stdout once it accepts.
 */
import { createServer } from "node:http";

let counter = 0;
const server = createServer((req, res) => {
  if (req.method !== "POST") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end('{"error":"malformed JSON"}');
      return;
    }
    counter += 1;
    const body = JSON.stringify({ id: counter, status: "accepted", received: typeof parsed });
    res.writeHead(202, { "content-type": "application/json" }).end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : 0}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
  });
}
