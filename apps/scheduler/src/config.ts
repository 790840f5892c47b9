import { commonEnv, loadConfig } from "@accounts/runtime";
import { z } from "zod";

/** The scheduler's configuration, parsed once from the environment at start. */
export const schedulerEnvSchema = z.object({
  ...commonEnv,
  /** Port of /health, /ready and /metrics. */
  SCHEDULER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).default(9102),
});

export type SchedulerConfig = z.infer<typeof schedulerEnvSchema>;

export function loadSchedulerConfig(env: NodeJS.ProcessEnv = process.env): Readonly<SchedulerConfig> {
  return loadConfig(schedulerEnvSchema, env);
}
