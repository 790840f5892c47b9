import type { Scope } from "@accounts/domain";
import type { Logger } from "@accounts/runtime";

/** The calling service, as authentication established it. */
export interface AuthenticatedClient {
  id: string;
  name: string;
  scopes: ReadonlySet<Scope>;
  /** Requests per second this client may make (per API instance). */
  rateLimit: number;
}

/** Typed per-request variables (Hono context). */
export interface ApiEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** Set by the auth middleware on authenticated routes. */
    client: AuthenticatedClient;
  };
}
