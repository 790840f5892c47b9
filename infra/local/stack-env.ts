import { z } from "zod";

const port = z.coerce.number().int().min(1).max(65_535);

const schema = z.object({
  /** Folder of the local stack's data (default `.data` in the repository). */
  LOCAL_DATA_DIR: z.string().min(1).optional(),
  /** Use this PostgreSQL instead of starting one. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** Use this Redis instead of starting one. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  PORT: port.default(3000),
  WORKER_METRICS_PORT: port.default(9101),
  SCHEDULER_METRICS_PORT: port.default(9102),
  /** fsync policy of the local Redis's append-only file. */
  REDIS_APPENDFSYNC: z.enum(["always", "everysec", "no"]).default("everysec"),
  /**
   * Streaming standbys of the local PostgreSQL (0-3). The first is synchronous (a commit waits for
   * its flush); the API reads from all of them when recent enough (DATABASE_REPLICA_URLS).
   */
  POSTGRES_STANDBYS: z.coerce.number().int().min(0).max(3).default(0),
});

export type StackEnv = Readonly<z.infer<typeof schema>>;

/**
 * Reads the local stack's settings from the environment, once. Empty variables count as unset
 * (`DATABASE_URL= npm start` starts a local server). Throws naming each bad variable.
 */
export function parseStackEnv(env: NodeJS.ProcessEnv): StackEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid environment:\n${problems.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}
