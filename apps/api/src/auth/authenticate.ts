import { apiKeyPrefix } from "@accounts/domain";
import type { Context, MiddlewareHandler } from "hono";
import type { ApiEnv, AuthenticatedClient } from "../http/context.ts";
import { ApiError, renderProblem } from "../http/errors.ts";
import type { AuditSink } from "./auditLog.ts";
import { type ClientIpResolver, socketAddress } from "./clientIp.ts";
import { type Credentials, readCredentials } from "./credentials.ts";
import type { AuthFailureLimiter } from "./rateLimit.ts";

/** What `authenticate()` needs of the client registry. */
export interface ClientAuthenticator {
  authenticate(key: string): Promise<AuthenticatedClient | undefined>;
}

export interface AuthenticateOptions {
  /** Failed authentications per address; share one instance between every `authenticate()` of the app. */
  failures: AuthFailureLimiter;
  /**
   * Adds `Basic realm="<realm>"` to the 401 challenge so that a browser prompts for credentials
   * (the queue dashboard). HTTP Basic credentials are accepted either way.
   */
  basicRealm?: string;
  /** The caller's address for the failure limit and the audit log. Default: the TCP peer. */
  clientIp?: ClientIpResolver;
}

type FailureReason = "missing_credentials" | "malformed_credentials" | "unknown_key";

const DETAILS: Record<FailureReason, string> = {
  missing_credentials: "missing API key: send Authorization: Bearer <key>",
  malformed_credentials: "malformed Authorization header or API key: send Authorization: Bearer <key>",
  unknown_key: "unknown or revoked API key",
};

/**
 * Establishes the calling client from `Authorization: Bearer <key>` (or HTTP Basic whose password,
 * or username when the password is empty, is the key) and sets `client` on the context.
 *
 * - An address that has used up its failed attempts (`AuthFailureLimiter`) gets 429 `rate_limited`
 *   with `Retry-After`, before its key is even read.
 * - A missing, malformed, unknown or revoked key gets 401 `unauthorized` with `WWW-Authenticate`,
 *   counts as a failure of the address, is logged and audited (`auth.failed`) with the address,
 *   the reason, the request id and, when the text has the shape of a key, the key's prefix. Never
 *   the key: the prefix is the part that is stored in clear anyway.
 *
 * The 401 is returned as a problem document rather than thrown as an `ApiError`, because an
 * `ApiError` carries no headers and the challenge header is required (RFC 9110 section 11.6.1).
 *
 * @example
 * const failures = new AuthFailureLimiter({ failuresPerMinute: config.AUTH_FAILURES_PER_MINUTE });
 * app.use("/v1/*", authenticate(registry, audit, { failures }));
 * app.use("/admin/queues/*", authenticate(registry, audit, { failures, basicRealm: "accounts" }));
 */
export function authenticate(
  registry: ClientAuthenticator,
  audit: AuditSink,
  options: AuthenticateOptions,
): MiddlewareHandler<ApiEnv> {
  const clientIp = options.clientIp ?? socketAddress;
  const challenge = options.basicRealm
    ? `Basic realm="${options.basicRealm}", Bearer realm="${options.basicRealm}"`
    : `Bearer realm="accounts"`;

  return async (c, next) => {
    const ip = clientIp(c);
    const waitSeconds = options.failures.blockedFor(ip);
    if (waitSeconds > 0) {
      throw new ApiError(
        "rate_limited",
        "too many failed authentications from this address; retry later with a valid key",
        { retryAfterSeconds: waitSeconds },
      );
    }

    const credentials = readCredentials(c.req.header("authorization"));
    const client = credentials.kind === "key" ? await registry.authenticate(credentials.key) : undefined;
    if (!client) {
      const reason: FailureReason =
        credentials.kind === "missing"
          ? "missing_credentials"
          : credentials.kind === "malformed"
            ? "malformed_credentials"
            : "unknown_key";
      return refuse(c, { ip, reason, credentials, audit, failures: options.failures, challenge });
    }
    c.set("client", client);
    await next();
  };
}

async function refuse(
  c: Context<ApiEnv>,
  failure: {
    ip: string;
    reason: FailureReason;
    credentials: Credentials;
    audit: AuditSink;
    failures: AuthFailureLimiter;
    challenge: string;
  },
): Promise<Response> {
  const { blocked } = failure.failures.recordFailure(failure.ip);
  const requestId = c.get("requestId");
  const keyPrefix = failure.credentials.kind === "key" ? apiKeyPrefix(failure.credentials.key) : undefined;
  const facts = {
    reason: failure.reason,
    method: c.req.method,
    path: c.req.path,
    ...(failure.credentials.kind === "key" ? { scheme: failure.credentials.scheme } : {}),
    ...(keyPrefix ? { keyPrefix } : {}),
    // This failure used up the address's allowance: its next attempts get 429 for a while.
    ...(blocked ? { blocked: true } : {}),
  };
  c.get("log").warn({ requestId, ip: failure.ip, ...facts }, "authentication failed");
  failure.audit.record({ event: "auth.failed", ip: failure.ip, requestId, details: facts });

  const problem = renderProblem(c, "unauthorized", DETAILS[failure.reason]);
  // A copy rather than `problem.headers.set(...)`: @hono/node-server's lightweight Response
  // rebuilds itself from its constructor arguments when its body is read, losing headers set
  // afterwards.
  const headers = new Headers(problem.headers);
  headers.set("WWW-Authenticate", failure.challenge);
  return new Response(await problem.text(), { status: problem.status, headers });
}
