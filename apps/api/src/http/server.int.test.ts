import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { scaledTimeout, waitFor } from "@accounts/tests/harness";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, describe, expect, it } from "vitest";
import { loadApiConfig } from "../config.ts";
import { useInProcessApi } from "../testing/inProcessApi.ts";
import { httpServerSettings, serveApi } from "./server.ts";

/**
 * The connection limits of the real HTTP server (serveApi, as main.ts serves the API), through raw
 * sockets, each beside a negative control: the same app on @hono/node-server with Node's defaults.
 */
const t = useInProcessApi({ writer: ["operations:write"] });
const servers: ServerType[] = [];

afterAll(async () => {
  for (const server of servers) {
    (server as unknown as { closeAllConnections(): void }).closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** The API served with the settings `env` configures (loadApiConfig: as main.ts reads them). */
async function configured(env: Record<string, string>): Promise<number> {
  const config = loadApiConfig({ DATABASE_URL: "postgres://unused", REDIS_URL: "redis://unused", ...env });
  const server = serveApi(t().app.fetch, {
    port: 0,
    hostname: "127.0.0.1",
    settings: httpServerSettings(config),
  });
  return listening(server);
}

/** The same app with Node's defaults (5 s keep-alive, 16 KiB of headers, 300 s per request). */
async function nodeDefaults(): Promise<number> {
  return listening(serve({ fetch: t().app.fetch, port: 0, hostname: "127.0.0.1" }));
}

async function listening(server: ServerType): Promise<number> {
  servers.push(server);
  if (!server.listening) await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** A raw HTTP/1.1 connection: what it received, whether the server closed it. */
class RawConnection {
  readonly socket: Socket;
  received = "";
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.received += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    return new RawConnection(socket);
  }

  /** Sends `head` (and `body`), then waits for the status line of the next answer, or a close. */
  async request(head: string, body = ""): Promise<number | "closed"> {
    const from = this.received.length;
    this.socket.write(`${head}\r\n\r\n${body}`);
    return this.nextStatus(from);
  }

  async nextStatus(from = 0, timeoutMs = scaledTimeout(10_000)): Promise<number | "closed"> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /HTTP\/1\.1 (\d{3})/.exec(this.received.slice(from));
      if (match) {
        // The whole answer (its body is small): wait for its end before the next request.
        await this.settle(from);
        return Number(match[1]);
      }
      if (this.closed) return "closed";
      if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms: ${this.received}`);
      await sleep(10);
    }
  }

  private async settle(from: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const text = this.received.slice(from);
      const end = text.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(text);
      if (end >= 0 && length && text.length >= end + 4 + Number(length[1])) return;
      if (end >= 0 && !length) return;
      if (this.closed) return;
      await sleep(10);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

const get = (path: string, headers = "") => `GET ${path} HTTP/1.1\r\nHost: localhost${headers}`;

describe("the API's HTTP server", () => {
  it("keeps an idle keep-alive connection open past Node's 5 s default, for the configured time", async () => {
    const [port, defaultPort] = await Promise.all([
      configured({
        HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: "10",
        HTTP_HEADERS_TIMEOUT_SECONDS: "11",
        HTTP_REQUEST_TIMEOUT_SECONDS: "12",
      }),
      nodeDefaults(),
    ]);
    const pooled = await RawConnection.open(port);
    const control = await RawConnection.open(defaultPort);
    expect(await pooled.request(get("/ready"))).toBe(200);
    expect(pooled.received).toMatch(/keep-alive: timeout=10/i);
    expect(await control.request(get("/ready"))).toBe(200);

    // Idle longer than Node's default keep-alive (it advertises 5 s and closes about a second
    // later), then reuse the connection as a client pool does.
    await sleep(7_000);
    expect(control.closed).toBe(true); // negative control: Node's default closed it ("other side closed")
    expect(pooled.closed).toBe(false);
    expect(await pooled.request(get("/ready"))).toBe(200);
    pooled.close();
    control.close();
  }, 30_000);

  it("answers 431 to request headers larger than the configured limit", async () => {
    const [port, defaultPort] = await Promise.all([
      configured({ HTTP_MAX_HEADER_BYTES: "4096" }),
      nodeDefaults(),
    ]);
    const big = `\r\nX-Padding: ${"a".repeat(6000)}`;
    const small = `\r\nX-Padding: ${"a".repeat(2000)}`;

    const limited = await RawConnection.open(port);
    expect(await limited.request(get("/ready", small))).toBe(200);
    expect(await limited.request(get("/ready", big))).toBe(431);
    limited.close();
    // Negative control: under Node's default limit (16 KiB) the same headers pass.
    const control = await RawConnection.open(defaultPort);
    expect(await control.request(get("/ready", big))).toBe(200);
    control.close();
  });

  it("answers 408 and closes a connection whose request does not arrive within the request timeout", async () => {
    const [port, defaultPort] = await Promise.all([
      configured({
        HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: "1",
        HTTP_HEADERS_TIMEOUT_SECONDS: "2",
        HTTP_REQUEST_TIMEOUT_SECONDS: "2",
      }),
      nodeDefaults(),
    ]);
    // A submission whose body stops after 10 of its 100 bytes (a slow or stuck client).
    const head = [
      "POST /v1/operations HTTP/1.1",
      "Host: localhost",
      `Authorization: Bearer ${t().client("writer").key}`,
      "Content-Type: application/json",
      "Content-Length: 100",
    ].join("\r\n");
    const stuck = await RawConnection.open(port);
    const control = await RawConnection.open(defaultPort);
    stuck.socket.write(`${head}\r\n\r\n{"type":"c`);
    control.socket.write(`${head}\r\n\r\n{"type":"c`);

    expect(await stuck.nextStatus(0, scaledTimeout(15_000))).toBe(408);
    await waitFor(() => stuck.closed, { message: "the timed-out connection closed" });
    // Negative control: with Node's default (300 s) the same request still holds its connection.
    expect(control.received).toBe("");
    expect(control.closed).toBe(false);
    stuck.close();
    control.close();
  }, 30_000);

  it("puts the request id on every answer, whoever built it", async () => {
    const port = await configured({});
    const connection = await RawConnection.open(port);
    const body = '{"type":"credit","account":{"userId":"u1","currency":"USDT"},"amount":"1"}';
    const submit = (key: string, requestId: string) =>
      connection.request(
        [
          "POST /v1/operations HTTP/1.1",
          "Host: localhost",
          `Authorization: Bearer ${key}`,
          "Content-Type: application/json",
          `X-Request-Id: ${requestId}`,
          `Content-Length: ${body.length}`,
        ].join("\r\n"),
        body,
      );
    let from = connection.received.length;
    expect(await submit(t().client("writer").key, "req-202")).toBe(202);
    expect(connection.received.slice(from)).toMatch(/x-request-id: req-202/i);
    expect(connection.received.slice(from)).toMatch(/location: \/v1\/operations\/op_/i);
    from = connection.received.length;
    expect(await submit("ak_unknown", "req-401")).toBe(401); // built as a Response object
    expect(connection.received.slice(from)).toMatch(/x-request-id: req-401/i);
    expect(connection.received.slice(from)).toMatch(/www-authenticate: Bearer/i);
    const accepted = connection.received.length;
    expect(await connection.request(get("/nowhere", "\r\nX-Request-Id: req-404"))).toBe(404);
    expect(connection.received.slice(accepted)).toMatch(/x-request-id: req-404/i);
    const generated = connection.received.length;
    expect(await connection.request(get("/ready"))).toBe(200);
    expect(connection.received.slice(generated)).toMatch(/x-request-id: [0-9a-f-]{36}\r\n/i);
    connection.close();
  });

  it("refuses a headers timeout that is not above the keep-alive timeout", () => {
    const env = { DATABASE_URL: "postgres://unused", REDIS_URL: "redis://unused" };
    expect(() =>
      loadApiConfig({ ...env, HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: "65", HTTP_HEADERS_TIMEOUT_SECONDS: "60" }),
    ).toThrow(/HTTP_HEADERS_TIMEOUT_SECONDS: must be above HTTP_KEEP_ALIVE_TIMEOUT_SECONDS/);
    expect(() =>
      loadApiConfig({ ...env, HTTP_HEADERS_TIMEOUT_SECONDS: "66", HTTP_REQUEST_TIMEOUT_SECONDS: "30" }),
    ).toThrow(/HTTP_REQUEST_TIMEOUT_SECONDS: must be at least HTTP_HEADERS_TIMEOUT_SECONDS/);
    const defaults = httpServerSettings(loadApiConfig(env));
    expect(defaults).toEqual({
      keepAliveTimeoutMs: 65_000,
      headersTimeoutMs: 66_000,
      requestTimeoutMs: 120_000,
      maxHeaderBytes: 16_384,
    });
  });
});
