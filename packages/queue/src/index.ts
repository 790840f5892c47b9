export * from "./catalog.ts";
export * from "./closeSettled.ts";
export * from "./connection.ts";
export * from "./env.ts";
export * from "./operationState.ts";
export * from "./payloads.ts";
export * from "./routing.ts";
export * from "./storeApplyJob.ts";
