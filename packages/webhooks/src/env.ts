import { booleanFlag, commaList } from "@accounts/runtime";
import { allowlistEntryError } from "./allowlist.ts";

/**
 * The environment variables of the callback URL policy, shared by the API (checks at submit) and the
 * worker (checks again at delivery): both must judge a URL the same way.
 */
export const webhookPolicyEnv = {
  /** Callback targets allowed although private or loopback: hostnames (`*.name` too), IPs, CIDRs. */
  WEBHOOK_ALLOWLIST: commaList.superRefine((entries, ctx) => {
    for (const entry of entries) {
      const error = allowlistEntryError(entry);
      if (error) ctx.addIssue({ code: "custom", message: error });
    }
  }),
  /** Plain http callback URLs (local development and tests); https only by default. */
  WEBHOOK_ALLOW_HTTP: booleanFlag(false),
};
