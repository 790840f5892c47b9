import { createDb, createPool, type Db } from "@accounts/db";
import { loadCtlConfig } from "./config.ts";

/** Opens the database named by `DATABASE_URL`, runs `work` with it and closes it, whatever happens. */
export async function withDatabase<T>(env: NodeJS.ProcessEnv, work: (db: Db) => Promise<T>): Promise<T> {
  const config = loadCtlConfig(env);
  const db = createDb(createPool(config.DATABASE_URL, { max: 2, applicationName: "accounts-ctl" }));
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}
