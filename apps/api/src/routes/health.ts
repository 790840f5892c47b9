import type { HealthReport } from "@accounts/runtime";
import { Hono } from "hono";

export interface HealthDeps {
  /** Deep checks (database, redis, performance). */
  health: () => Promise<HealthReport>;
  /** False while starting or draining. */
  ready: () => boolean;
}

/** `GET /health` (503 when unhealthy) and `GET /ready` (503 while starting or draining). No auth. */
export function healthRoutes(deps: HealthDeps): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const report = await deps.health();
    return c.json(report, report.status === "unhealthy" ? 503 : 200);
  });
  app.get("/ready", (c) => {
    const ready = deps.ready();
    return c.json({ ready }, ready ? 200 : 503);
  });
  return app;
}
