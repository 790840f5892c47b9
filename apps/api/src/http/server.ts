import type { Server } from "node:http";
import { type ServerType, serve } from "@hono/node-server";
import type { ApiConfig } from "../config.ts";

/** The connection limits of the API's HTTP server, from its configuration. */
export interface HttpServerSettings {
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxHeaderBytes: number;
}

type HttpConfig = Pick<
  ApiConfig,
  | "HTTP_KEEP_ALIVE_TIMEOUT_SECONDS"
  | "HTTP_HEADERS_TIMEOUT_SECONDS"
  | "HTTP_REQUEST_TIMEOUT_SECONDS"
  | "HTTP_MAX_HEADER_BYTES"
>;

export function httpServerSettings(config: HttpConfig): HttpServerSettings {
  return {
    keepAliveTimeoutMs: Math.round(config.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000),
    headersTimeoutMs: Math.round(config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000),
    requestTimeoutMs: Math.round(config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000),
    maxHeaderBytes: config.HTTP_MAX_HEADER_BYTES,
  };
}

/**
 * Serves `fetch` (the Hono app) on Node's HTTP server with the configured connection limits:
 * keep-alive and headers timeouts (headers above keep-alive), a whole-request timeout (408) and a
 * request head size limit (431). Node checks the headers and request timeouts on an interval (30 s
 * by default), which is shortened to a quarter of the headers timeout when that is shorter, so a
 * short configured limit applies on time.
 */
export function serveApi(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
  options: { port: number; hostname: string; settings: HttpServerSettings },
  onListening?: (info: { port: number }) => void,
): ServerType {
  const { settings } = options;
  const server = serve(
    {
      fetch,
      port: options.port,
      hostname: options.hostname,
      serverOptions: {
        maxHeaderSize: settings.maxHeaderBytes,
        headersTimeout: settings.headersTimeoutMs,
        requestTimeout: settings.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(
          30_000,
          Math.max(100, Math.floor(settings.headersTimeoutMs / 4)),
        ),
      },
    },
    onListening,
  );
  // Not a createServer option on every Node 20: set on the server, before any connection.
  (server as Server).keepAliveTimeout = settings.keepAliveTimeoutMs;
  return server;
}
