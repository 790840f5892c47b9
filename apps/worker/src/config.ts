import { commonEnv, loadConfig } from "@accounts/runtime";
import { z } from "zod";

/** The worker's configuration, parsed once from the environment at start. */
export const workerEnvSchema = z.object({
  ...commonEnv,
  /** Port of /health, /ready and /metrics. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9101),
});

export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): Readonly<WorkerConfig> {
  return loadConfig(workerEnvSchema, env);
}
