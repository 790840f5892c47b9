import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono, type MiddlewareHandler } from "hono";
import type { ApiEnv } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import type { OpenQueue } from "../metrics/queueDepth.ts";
import { unsafeDashboardAction } from "./unsafeDashboardActions.ts";

export const DASHBOARD_PATH = "/admin/queues";

export interface QueueDashboardOptions {
  /** Every queue of the catalog (partitions, webhooks, maintenance). */
  queues: readonly OpenQueue[];
  /** `authenticate(..., { basicRealm })`: a browser gets the Basic challenge and prompts. */
  authenticate: MiddlewareHandler<ApiEnv>;
  /** `requireScope("admin")`. */
  requireAdmin: MiddlewareHandler<ApiEnv>;
  /** Audits the state-changing actions (retry, remove, pause...): `auditAdminActions(audit)`. */
  auditActions: MiddlewareHandler<ApiEnv>;
}

/**
 * The folder of bull-board's UI, found by module resolution from `@bull-board/api` (whose
 * dependency it is), never from the working directory: the API may be started from anywhere.
 */
function bullBoardUiPath(): string {
  const fromApi = createRequire(createRequire(import.meta.url).resolve("@bull-board/api"));
  return dirname(fromApi.resolve("@bull-board/ui/package.json"));
}

function describe(open: OpenQueue): { displayName: string; description: string } {
  switch (open.kind) {
    case "partition":
      return {
        displayName: `Partition ${open.name.replace(/^ops-/, "")}`,
        description: `${open.name}: operations of the accounts routed to this partition, applied in order, one job at a time`,
      };
    case "webhooks":
      return { displayName: "Webhook deliveries", description: `${open.name}: signed callbacks to clients` };
    case "maintenance":
      return {
        displayName: "Maintenance",
        description: `${open.name}: backup, vacuum, partitions, prune-logs, reconcile`,
      };
  }
}

/**
 * The queue dashboard (bull-board) at `/admin/queues`, behind admin authentication: a Bearer key,
 * or HTTP Basic with the key as password (or as user name with an empty password) so that a browser
 * can open it. Actions that would break a guarantee are refused (see `unsafeDashboardAction`);
 * the others (retry, remove, pause...) are audited.
 *
 * @example
 * app.route(DASHBOARD_PATH, queueDashboard({ queues, authenticate: adminAuth, requireAdmin, auditActions }));
 */
export function queueDashboard(options: QueueDashboardOptions): Hono<ApiEnv> {
  const uiPath = bullBoardUiPath();
  const staticRoot = join(uiPath, "dist", "static");
  // The adapter hands serveStatic a root relative to process.cwd() at start; a root resolved once
  // here stays right even if the working directory changes later.
  const staticFiles = ((staticOptions: Parameters<typeof serveStatic>[0]) =>
    serveStatic({ ...staticOptions, root: staticRoot })) as typeof serveStatic;
  const adapter = new HonoAdapter(staticFiles).setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map((open) => new BullMQAdapter(open.queue, describe(open))),
    serverAdapter: adapter,
    options: {
      uiBasePath: uiPath,
      uiConfig: { boardTitle: "Accounts queues", hideDocsLink: true },
    },
  });

  const app = new Hono<ApiEnv>();
  app.use("*", options.authenticate, options.requireAdmin, options.auditActions, async (c, next) => {
    const refusal = unsafeDashboardAction(c.req.method, c.req.path.slice(DASHBOARD_PATH.length));
    if (refusal) throw new ApiError("forbidden", refusal);
    await next();
  });
  app.route("/", adapter.registerPlugin());
  return app;
}
