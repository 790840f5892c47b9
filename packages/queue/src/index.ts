export {
  allPartitionQueues,
  allQueues,
  type Catalog,
  EVENTS_MAX_LEN,
  JOB_NAMES,
  JOB_OPTIONS,
  MAINTENANCE_TASKS,
  type MaintenanceTask,
  maintenanceQueue,
  partitionKeyPrefix,
  partitionQueue,
  type QueueKind,
  type QueueRef,
  webhooksQueue,
} from "./catalog.ts";
export { closeSettled, type SettlingClosable } from "./closeSettled.ts";
export {
  accountScope,
  commitPositionKey,
  operationScope,
  raiseCommitPosition,
  readCommitPosition,
} from "./commitPosition.ts";
export {
  type ConnectionRole,
  createRedis,
  isRedisCommandUnsent,
  isRedisUnavailableError,
  type RedisClient,
  type RedisConfig,
} from "./connection.ts";
export { catalogOf, operationStatesOf, type QueueConfig, queueEnv, redisConfigOf } from "./env.ts";
export {
  claimIdempotencyKey,
  clearPendingStates,
  finishedChannel,
  type IdempotencyClaim,
  markAccepted,
  markFailed,
  type OperationStateStore,
  type PendingOperationRef,
  type PendingState,
  readPendingState,
  releaseIdempotencyKey,
} from "./operationState.ts";
export {
  type ApplyJob,
  applyJobSchema,
  type DeliverJob,
  deliverJobSchema,
  type MaintenanceJob,
  maintenanceJobSchema,
} from "./payloads.ts";
export { type ReplicaPolicy, ReplicasUnconfirmedError, waitForReplicas } from "./replicaWait.ts";
export { fnv1a32, partitionOf, partitionOfUser } from "./routing.ts";
export { findStalePending } from "./stalePending.ts";
export { storeApplyJob } from "./storeApplyJob.ts";
