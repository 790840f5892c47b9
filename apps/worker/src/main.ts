import { metricsEndpoint, onShutdown, startProbeServer } from "@accounts/runtime";
import { loadWorkerConfig } from "./config.ts";
import { createServices, startProcessing } from "./createServices.ts";

const config = loadWorkerConfig();
const services = createServices(config);
let ready = false;
const probes = await startProbeServer({
  port: config.WORKER_METRICS_PORT,
  ready: () => ready,
  health: services.health,
  metrics: metricsEndpoint(services.metrics.registry),
});
const processing = await startProcessing(config, services);
ready = true;
services.log.info({ partitions: config.PARTITIONS, port: config.WORKER_METRICS_PORT }, "worker started");

onShutdown(services.log, async () => {
  ready = false;
  await processing.close();
  probes.close();
  await services.close();
});
