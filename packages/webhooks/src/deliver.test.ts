import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createWebhookSender, isDelivered, type WebhookSender } from "./deliver.ts";
import type { CheckedCallbackUrl } from "./urlGuard.ts";

// A real HTTP server on 127.0.0.1 (nothing leaves this machine); the sender is the real one.

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server;
let port: number;
let received: Received[] = [];
let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end();
let sender: WebhookSender;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  sender = createWebhookSender({ timeoutMs: 500 });
});
afterEach(() => {
  received = [];
  handler = (_req, res) => res.writeHead(204).end();
});
afterAll(async () => {
  sender.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function target(url: string, addresses = ["127.0.0.1"]): CheckedCallbackUrl {
  return { ok: true, url: new URL(url), addresses: addresses.map((address) => ({ address, family: 4 })) };
}

describe("createWebhookSender", () => {
  it("POSTs the JSON body with the signature headers and reports the status", async () => {
    const result = await sender.send({
      target: target(`http://127.0.0.1:${port}/hook?x=1`),
      body: '{"id":"op_1","note":"ünïcødé"}',
      headers: { "webhook-id": "evt_1", "webhook-timestamp": "1", "webhook-signature": "v1,abc" },
    });
    expect(result).toMatchObject({ statusCode: 204 });
    expect(isDelivered(result)).toBe(true);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: "POST",
      url: "/hook?x=1",
      body: '{"id":"op_1","note":"ünïcødé"}',
      headers: {
        "content-type": "application/json",
        "webhook-id": "evt_1",
        "webhook-timestamp": "1",
        "webhook-signature": "v1,abc",
      },
    });
  });

  it("connects to the checked address, not to what the name resolves to now", async () => {
    // The name does not resolve at all; the pinned address is where the request goes.
    const pinned = await sender.send({
      target: target(`http://hooks.invalid:${port}/pinned`),
      body: "{}",
      headers: {},
    });
    expect(pinned).toMatchObject({ statusCode: 204 });
    expect(received[0]?.headers.host).toBe(`hooks.invalid:${port}`);
    // "localhost" resolves to 127.0.0.1 where the server listens, but the check said 127.0.0.9.
    const elsewhere = await sender.send({
      target: target(`http://localhost:${port}/`, ["127.0.0.9"]),
      body: "{}",
      headers: {},
    });
    expect(elsewhere).toMatchObject({ error: expect.stringContaining("127.0.0.9") });
    expect(received).toHaveLength(1);
  });

  it("does not follow redirects: a 3xx is not a delivery", async () => {
    handler = (_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
    const result = await sender.send({
      target: target(`http://127.0.0.1:${port}/`),
      body: "{}",
      headers: {},
    });
    expect(result).toMatchObject({ statusCode: 302 });
    expect(isDelivered(result)).toBe(false);
    expect(received.map((r) => r.url)).toEqual(["/"]);
  });

  it("reports a 5xx as an answer that is not a delivery", async () => {
    handler = (_req, res) => res.writeHead(503).end("busy");
    const result = await sender.send({
      target: target(`http://127.0.0.1:${port}/`),
      body: "{}",
      headers: {},
    });
    expect(result).toMatchObject({ statusCode: 503 });
    expect(isDelivered(result)).toBe(false);
  });

  it("gives up after the timeout when no answer comes", async () => {
    handler = () => {}; // never answers
    const started = Date.now();
    const result = await sender.send({
      target: target(`http://127.0.0.1:${port}/`),
      body: "{}",
      headers: {},
    });
    expect(result).toMatchObject({ error: "no answer within 500 ms" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("counts an answer whose body never ends by its status", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
    };
    const result = await sender.send({
      target: target(`http://127.0.0.1:${port}/`),
      body: "{}",
      headers: {},
    });
    expect(result).toMatchObject({ statusCode: 200 });
  });

  it("reports a refused connection as an error", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await sender.send({
      target: target(`http://127.0.0.1:${closedPort}/`),
      body: "{}",
      headers: {},
    });
    expect(result).toMatchObject({ error: expect.stringContaining("ECONNREFUSED") });
  });

  it("reuses a keep-alive connection for consecutive deliveries", async () => {
    const sockets = new Set<unknown>();
    handler = (req, res) => {
      sockets.add(req.socket);
      res.writeHead(200).end("ok");
    };
    for (let i = 0; i < 3; i += 1) {
      expect(
        await sender.send({ target: target(`http://127.0.0.1:${port}/`), body: "{}", headers: {} }),
      ).toMatchObject({ statusCode: 200 });
    }
    expect(sockets.size).toBe(1);
  });
});
