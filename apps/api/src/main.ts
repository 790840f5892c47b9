import { setTimeout as sleep } from "node:timers/promises";
import { onShutdown } from "@accounts/runtime";
import { createApp } from "./app.ts";
import { loadApiConfig } from "./config.ts";
import { createServices } from "./createServices.ts";
import { httpServerSettings, serveApi } from "./http/server.ts";

const config = loadApiConfig();
const api = await createServices(config);
const server = serveApi(
  createApp(api.app).fetch,
  { port: config.PORT, hostname: config.HOST, settings: httpServerSettings(config) },
  (info) => {
    api.setReady(true);
    api.log.info({ port: info.port }, "api listening");
  },
);

onShutdown(api.log, async () => {
  // Turn /ready to 503 first so the load balancer stops sending, then drain and close.
  api.setReady(false);
  await sleep(config.SHUTDOWN_GRACE_SECONDS * 1000);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await api.close();
});
