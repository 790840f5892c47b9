import type { CurrencyCache, Db, ReplicaReads } from "@accounts/db";
import type { Scope } from "@accounts/domain";
import type { OperationStateStore } from "@accounts/queue";
import type { MiddlewareHandler } from "hono";
import type { AcceptDeps } from "./accept/acceptOperations.ts";
import type { ApiEnv } from "./http/context.ts";
import type { FinishedNotifier } from "./read/finishedNotifier.ts";

/** What the routes use, built once by main.ts (or a test) and passed to `createApp`. */
export interface ApiServices {
  db: Db;
  /** Reads that may be served by a replica recent enough (balances, entries, final operations). */
  reads: ReplicaReads;
  states: OperationStateStore;
  accept: AcceptDeps;
  currencies: CurrencyCache;
  notifier: FinishedNotifier;
  /** True when Redis is too full to take more jobs: submissions get 503. */
  redisFull: () => boolean;
  /** Null when the callback URL may be used, else why not (private address, http not allowed...). */
  checkCallbackUrl: (url: string) => Promise<string | null>;
  /** Middleware that answers 403 unless the authenticated client has `scope`. */
  requireScope: (scope: Scope) => MiddlewareHandler<ApiEnv>;
}
