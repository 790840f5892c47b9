import { commonEnv, loadConfig } from "@accounts/runtime";
import { z } from "zod";

/** The API's configuration, parsed once from the environment at start. */
export const apiEnvSchema = z.object({
  ...commonEnv,
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  /** Seconds a draining instance keeps answering before it closes (the load balancer's grace). */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(120).default(1),
});

export type ApiConfig = z.infer<typeof apiEnvSchema>;

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): Readonly<ApiConfig> {
  return loadConfig(apiEnvSchema, env);
}
