import { z } from "zod";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Parses the environment once with a schema and returns a frozen, typed object. A bad or missing
 * variable fails start-up with a message that names it.
 *
 * @example
 * const config = loadConfig(z.object({ PORT: z.coerce.number().default(3000) }), process.env);
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): Readonly<z.infer<T>> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}

/** A comma-separated list variable (`a, b,c`), empty entries dropped. */
export const commaList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** A boolean variable: true/false/1/0/yes/no. */
export const booleanFlag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .optional()
    .transform((value) => (value === undefined ? fallback : ["true", "1", "yes"].includes(value)));

/**
 * The variables every process reads: where PostgreSQL is, and how it logs. (The queues' own, Redis
 * included, are `queueEnv` of @accounts/queue.)
 */
export const commonEnv = {
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * `/health` reports `performance: degraded` when the p95 of the last minute's accept latency (API)
   * or accept-to-finish latency (worker) passes this many milliseconds.
   */
  HEALTH_P95_THRESHOLD_MS: z.coerce.number().min(1).max(600_000).default(500),
};
