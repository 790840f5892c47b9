export {
  type AppName,
  type AppStack,
  type AppStackOptions,
  type StackProcess,
  startAppStack,
} from "./appStack.ts";
export { harnessRedisUrl, uniquePrefix } from "./redis-keys.ts";
export { type TestDatabase, useTestDatabase } from "./test-database.ts";
export { type WaitForOptions, waitFor } from "./wait-for.ts";
