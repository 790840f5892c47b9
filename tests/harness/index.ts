export {
  type AppName,
  type AppStack,
  type AppStackOptions,
  type StackProcess,
  startAppStack,
} from "./appStack.ts";
export { buildAppsForTests, REPO_ROOT } from "./built-apps.ts";
export { type CtlRun, runCtl } from "./ctl.ts";
export { harnessRedisUrl, uniquePrefix } from "./redis-keys.ts";
export { startTcpProxy, TcpProxy, type TcpProxyOptions } from "./tcpProxy.ts";
export { type TestDatabase, useTestDatabase } from "./test-database.ts";
export { machineSlowness, scaledTimeout } from "./timeouts.ts";
export { type WaitForOptions, waitFor } from "./wait-for.ts";
