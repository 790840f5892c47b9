import { Hono } from "hono";
import { type HealthDeps, healthRoutes } from "./routes/health.ts";

export type AppDeps = HealthDeps;

/**
 * The HTTP application, wired from its dependencies (no globals), so tests build it with real
 * PostgreSQL and Redis and serve it in-process.
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.route("/", healthRoutes(deps));
  return app;
}
