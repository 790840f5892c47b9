import { resolve } from "node:path";
import { metricsEndpoint, onShutdown, startProbeServer } from "@accounts/runtime";
import { loadSchedulerConfig } from "./config.ts";
import { createServices } from "./createServices.ts";
import { startScheduler } from "./startScheduler.ts";

const config = loadSchedulerConfig();
const { log, db, registry, health, close } = createServices(config);
let ready = false;
const probes = await startProbeServer({
  port: config.SCHEDULER_METRICS_PORT,
  ready: () => ready,
  health,
  metrics: metricsEndpoint(registry),
});
const scheduler = await startScheduler({ config, db, log, registry });
ready = true;
log.info(
  {
    port: config.SCHEDULER_METRICS_PORT,
    backupDir: resolve(config.BACKUP_DIR),
    logDir: config.LOG_DIR ?? null,
  },
  "scheduler started",
);

onShutdown(log, async () => {
  ready = false;
  // Waits for the task in progress; one killed meanwhile is resumed by another replica (stalled job).
  await scheduler.close();
  probes.close();
  await close();
});
