export * from "./accounts.ts";
export * from "./book.ts";
export * from "./ids.ts";
export * from "./money.ts";
export * from "./postings.ts";
export * from "./representation.ts";
export * from "./schemas.ts";
export * from "./scopes.ts";
