import { createServer, type Server } from "node:http";
import type { HealthReport } from "./health.ts";

export interface ProbeServerOptions {
  port: number;
  host?: string;
  /** Deep checks for `GET /health` (503 when unhealthy). */
  health: () => Promise<HealthReport>;
  /** `GET /ready`: true while this instance takes work (false while starting or draining). */
  ready: () => boolean;
  /** `GET /metrics`: Prometheus text. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/**
 * The small HTTP server of processes that serve no API (worker, scheduler): probes and metrics only.
 *
 * @example
 * const server = await startProbeServer({ port: 9101, health, ready: () => running });
 */
export async function startProbeServer(options: ProbeServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, contentType: string, body: string) => {
      res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET") return send(405, "text/plain", "method not allowed\n");
    if (path === "/health") {
      options.health().then(
        (report) =>
          send(report.status === "unhealthy" ? 503 : 200, "application/json", JSON.stringify(report)),
        (error: unknown) =>
          send(503, "application/json", JSON.stringify({ status: "unhealthy", error: String(error) })),
      );
      return;
    }
    if (path === "/ready") {
      const ready = options.ready();
      return send(ready ? 200 : 503, "application/json", JSON.stringify({ ready }));
    }
    if (path === "/metrics" && options.metrics) {
      options.metrics().then(
        ({ contentType, body }) => send(200, contentType, body),
        (error: unknown) => send(500, "text/plain", `metrics failed: ${String(error)}\n`),
      );
      return;
    }
    send(404, "text/plain", "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  return server;
}
