export * from "./allowlist.ts";
export * from "./deliver.ts";
export * from "./env.ts";
export { forbiddenAddressReason } from "./forbiddenAddress.ts";
export * from "./resolver.ts";
export * from "./retrySchedule.ts";
export * from "./sign.ts";
export * from "./urlGuard.ts";
