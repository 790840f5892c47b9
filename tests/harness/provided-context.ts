/** What the global setup hands to every test file through vitest's `inject()`. */
declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the harness's PostgreSQL (`postgres` database). */
    adminDatabaseUrl: string;
    /** Name of the migrated database each test file clones. */
    templateDatabase: string;
    /** URL of the harness's Redis. */
    redisUrl: string;
    /** Temporary folder holding both servers' data and logs; gone after the run. */
    harnessDir: string;
    /** pgbackrest.conf of the harness PostgreSQL's WAL archive (a repository in the harness folder). */
    pgbackrestConfig: string;
    /** Its pgBackRest stanza. */
    pgbackrestStanza: string;
  }
}

export {};
