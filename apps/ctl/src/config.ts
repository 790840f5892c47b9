import { ConfigError, commonEnv, loadConfig } from "@accounts/runtime";
import { z } from "zod";

/** The operator command's configuration: only where the database is. */
export const ctlEnvSchema = z.object({
  DATABASE_URL: commonEnv.DATABASE_URL,
});

export type CtlConfig = z.infer<typeof ctlEnvSchema>;

/** Parsed when a command first needs the database, so that `--help` works without it. */
export function loadCtlConfig(env: NodeJS.ProcessEnv): Readonly<CtlConfig> {
  if (!env.DATABASE_URL) {
    throw new ConfigError(
      "DATABASE_URL is not set: point it at the accounts database, for example\n" +
        "  DATABASE_URL=postgres://accounts@127.0.0.1:5432/accounts npm run ctl -- clients list",
    );
  }
  return loadConfig(ctlEnvSchema, env);
}
