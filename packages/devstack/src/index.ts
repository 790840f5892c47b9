// @accounts/devstack: PostgreSQL and Redis as child processes of whoever needs them (`npm start`,
// the test harness, fault tests), from the binaries the machine has, in a folder of their own and
// on free ports. It exists so that nothing needs Docker and no test touches a server it did not start.
export {
  type ArchivingOptions,
  type LocalArchive,
  pgbackrestConfigText,
  shellQuote,
} from "./archiving.ts";
export {
  type FindBinariesOptions,
  findPgBackRest,
  findPostgresBinaries,
  findRedisBinaries,
  MissingBinaryError,
  type PostgresBinaries,
  type RedisBinaries,
} from "./binaries.ts";
export { killOnExit, signalGroup } from "./child-processes.ts";
export {
  type ClonedDatabase,
  type CreateDatabaseOptions,
  cloneTemplate,
  createDatabase,
  databaseUrl,
  dropDatabase,
} from "./databases.ts";
export { freePort, isPortFree, STANDARD_PORTS } from "./ports.ts";
export { type PostgresOptions, type PostgresServer, startPostgres } from "./postgres.ts";
export { type AppendFsync, type RedisOptions, type RedisServer, startRedis } from "./redis.ts";
export { livePidFromFile, logTail } from "./server-process.ts";
export { handOver, postgresRunAs, type SystemAccount } from "./system-account.ts";
