import type { HealthReport } from "@accounts/runtime";
import { Hono } from "hono";

export interface HealthDeps {
  /** Deep checks (database, redis, performance). */
  health: () => Promise<HealthReport>;
  /** False while starting or draining. */
  ready: () => boolean;
  /** Prometheus text for `GET /metrics`; without it the route is not served. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/**
 * `GET /health` (503 when unhealthy), `GET /ready` (503 while starting or draining) and
 * `GET /metrics` (Prometheus text). No authentication: probes and scrapers call them, and none
 * tells anything about accounts or clients.
 */
export function healthRoutes(deps: HealthDeps): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const report = await deps.health();
    c.header("Cache-Control", "no-store");
    return c.json(report, report.status === "unhealthy" ? 503 : 200);
  });
  app.get("/ready", (c) => {
    const ready = deps.ready();
    c.header("Cache-Control", "no-store");
    return c.json({ ready }, ready ? 200 : 503);
  });
  const metrics = deps.metrics;
  if (metrics) {
    app.get("/metrics", async (c) => {
      const { contentType, body } = await metrics();
      return c.body(body, 200, { "Content-Type": contentType, "Cache-Control": "no-store" });
    });
  }
  return app;
}
