import { isIP } from "node:net";
import { type Allowlist, allowsAddress, allowsHost, normalizeHostname, parseAllowlist } from "./allowlist.ts";
import { forbiddenAddressReason } from "./forbiddenAddress.ts";
import { type ResolvedAddress, type Resolver, systemResolver } from "./resolver.ts";

/** What the operator allows for callback URLs. */
export interface CallbackUrlPolicy {
  /** Plain `http:` targets (local development, tests); `https:` only otherwise. */
  allowHttp: boolean;
  allowlist: Allowlist;
  /** How hostnames are resolved; the system resolver by default. */
  resolve?: Resolver;
}

/** A URL that passed the guard, with the addresses it was judged on: connect to these, and only these. */
export interface CheckedCallbackUrl {
  ok: true;
  url: URL;
  addresses: readonly ResolvedAddress[];
}

/**
 * A refused URL. `transient` is true when the refusal may go away by itself (the name did not
 * resolve now): a delivery retries those, and gives up at once on the others.
 */
export interface RefusedCallbackUrl {
  ok: false;
  reason: string;
  transient: boolean;
}

export type CallbackUrlCheck = CheckedCallbackUrl | RefusedCallbackUrl;

/** Names that mean this host whatever DNS says (RFC 6761), refused without asking a resolver. */
function isLocalhostName(name: string): boolean {
  return name === "localhost" || name.endsWith(".localhost") || name === "localhost.localdomain";
}

const refuse = (reason: string, transient = false): RefusedCallbackUrl => ({ ok: false, reason, transient });

function parseTarget(raw: string | URL, policy: CallbackUrlPolicy): URL | RefusedCallbackUrl {
  let url: URL;
  try {
    url = typeof raw === "string" ? new URL(raw) : new URL(raw.href);
  } catch {
    return refuse("not an absolute URL");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp)) {
    return refuse(policy.allowHttp ? "scheme must be http or https" : "scheme must be https");
  }
  if (url.username !== "" || url.password !== "") return refuse("credentials in the URL are not allowed");
  // The WHATWG parser already refuses ports above 65535; port 0 is parsed but connects nowhere sane.
  if (url.port === "0") return refuse("port must be between 1 and 65535");
  if (url.hostname === "") return refuse("the URL has no host");
  return url;
}

/**
 * Judges a callback URL before anything is sent to it (SSRF guard): https only (http where the
 * policy allows), no credentials, and the host must not be, or resolve to, a loopback, private,
 * CGNAT, link-local (cloud metadata), unspecified, multicast, broadcast or otherwise non-public
 * address — in any textual form, IPv4-mapped IPv6 included — unless the allowlist names the host
 * or contains the address. A name is refused if ANY of its addresses is forbidden, since a
 * connection may pick any of them.
 *
 * The WHATWG URL parser has already normalised numeric hosts (`http://2130706433/`,
 * `http://0x7f.1/` and `http://127.1/` all become 127.0.0.1), so they are judged as what they are.
 *
 * @example
 * const policy = { allowHttp: false, allowlist: parseAllowlist([]) };
 * await checkCallbackUrl("https://hooks.example.com/accounts", policy) // { ok: true, url, addresses: [...] }
 * await checkCallbackUrl("https://169.254.169.254/latest/meta-data", policy)
 * // { ok: false, reason: "169.254.169.254 is a link-local or cloud metadata address (169.254.0.0/16)", transient: false }
 */
export async function checkCallbackUrl(
  raw: string | URL,
  policy: CallbackUrlPolicy,
): Promise<CallbackUrlCheck> {
  const url = parseTarget(raw, policy);
  if (!(url instanceof URL)) return url;
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const allowlist = policy.allowlist;

  const literal = isIP(host);
  if (literal !== 0) {
    const reason = allowsAddress(allowlist, host) ? undefined : forbiddenAddressReason(host);
    if (reason) return refuse(`${host} is ${reason}`);
    return { ok: true, url, addresses: [{ address: host, family: literal === 6 ? 6 : 4 }] };
  }

  const name = normalizeHostname(host);
  const allowedByName = allowsHost(allowlist, name);
  if (isLocalhostName(name) && !allowedByName) return refuse(`${name} is a loopback name`);

  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await (policy.resolve ?? systemResolver)(name);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return refuse(`${name} could not be resolved${typeof code === "string" ? ` (${code})` : ""}`, true);
  }
  if (addresses.length === 0) return refuse(`${name} has no A or AAAA record`, true);
  if (!allowedByName) {
    for (const { address } of addresses) {
      const reason = allowsAddress(allowlist, address) ? undefined : forbiddenAddressReason(address);
      if (reason) return refuse(`${name} resolves to ${address}, ${reason}`);
    }
  }
  return { ok: true, url, addresses };
}

/**
 * A policy from configuration values (`WEBHOOK_ALLOW_HTTP`, `WEBHOOK_ALLOWLIST`).
 *
 * @example
 * const policy = callbackUrlPolicy({ allowHttp: config.WEBHOOK_ALLOW_HTTP, allowlist: config.WEBHOOK_ALLOWLIST });
 */
export function callbackUrlPolicy(options: {
  allowHttp: boolean;
  allowlist: readonly string[];
  resolve?: Resolver;
}): CallbackUrlPolicy {
  return {
    allowHttp: options.allowHttp,
    allowlist: parseAllowlist(options.allowlist),
    ...(options.resolve ? { resolve: options.resolve } : {}),
  };
}
