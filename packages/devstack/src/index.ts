// @accounts/devstack: PostgreSQL and Redis as child processes of whoever needs them (`npm start`,
// the test harness, fault tests), from the binaries the machine has, in a folder of their own and
// on free ports; and the one launcher of the apps themselves, from source or built. It exists so that
// nothing needs Docker and no test touches a server it did not start.
export {
  type AppProcess,
  type AppProcessOptions,
  launchApp,
} from "./app-process.ts";
export {
  APP_NAMES,
  type AppName,
  appCommand,
  builtEntry,
  type LaunchMode,
  READY_PORT_VARIABLE,
  type ServerAppName,
  sourceEntry,
} from "./apps.ts";
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
export {
  findLocalDatabase,
  LOCAL_DATABASE,
  LOCAL_POSTGRES_PORT,
  LOCAL_REDIS_PORT,
  type LocalDatabase,
  localDatabaseUrl,
  localDataDir,
  localPostgresDir,
  localRedisDir,
  readStackState,
  type StackState,
  updateStackState,
} from "./local-stack.ts";
export { firstFreePort, freePort, isPortFree, STANDARD_PORTS } from "./ports.ts";
export { type PostgresOptions, type PostgresServer, startPostgres } from "./postgres.ts";
export {
  type AppendFsync,
  type RedisOptions,
  type RedisServer,
  startRedis,
  waitForReplicaSync,
} from "./redis.ts";
export { type ExitStatus, livePidFromFile, logTail } from "./server-process.ts";
export {
  type StandbyOptions,
  type StandbyServer,
  setSynchronousStandbys,
  startStandby,
  waitForStreaming,
} from "./standby.ts";
export { handOver, postgresRunAs, type SystemAccount } from "./system-account.ts";
