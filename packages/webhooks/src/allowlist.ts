import { BlockList, isIP } from "node:net";
import { unmappedIpv4 } from "./forbiddenAddress.ts";

/**
 * The operator's exceptions to the callback guard (`WEBHOOK_ALLOWLIST`): hostnames
 * (`hooks.internal.example`, or `*.internal.example` for every name below it), IP addresses
 * (`10.1.2.3`, `fd00::7`) and CIDR blocks (`10.20.0.0/16`, `fd12:3456::/48`).
 */
export interface Allowlist {
  /** Exact hostnames, lowercase, without a trailing dot. */
  readonly hosts: ReadonlySet<string>;
  /** Suffixes from `*.name` entries, with their leading dot (`.internal.example`). */
  readonly suffixes: readonly string[];
  /** Addresses and CIDR blocks. */
  readonly addresses: BlockList;
  /** The entries as given, for logs and error messages. */
  readonly entries: readonly string[];
}

export class AllowlistError extends Error {
  override readonly name = "AllowlistError";
}

const HOSTNAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Lowercase, without the trailing dot of a fully qualified name. */
export function normalizeHostname(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, "");
}

function addEntry(list: { hosts: Set<string>; suffixes: string[]; addresses: BlockList }, entry: string) {
  const slash = entry.indexOf("/");
  if (slash >= 0) {
    const network = entry.slice(0, slash);
    const bitsText = entry.slice(slash + 1);
    const version = isIP(network);
    const bits = Number(bitsText);
    if (version === 0 || !/^\d{1,3}$/.test(bitsText) || bits > (version === 4 ? 32 : 128)) {
      throw new AllowlistError(`WEBHOOK_ALLOWLIST entry "${entry}" is not a valid CIDR block`);
    }
    list.addresses.addSubnet(network, bits, version === 4 ? "ipv4" : "ipv6");
    return;
  }
  const bare = entry.startsWith("[") && entry.endsWith("]") ? entry.slice(1, -1) : entry;
  const version = isIP(bare);
  if (version !== 0) {
    list.addresses.addAddress(bare, version === 4 ? "ipv4" : "ipv6");
    return;
  }
  const name = normalizeHostname(entry);
  if (!HOSTNAME.test(name) || name.length > 253) {
    throw new AllowlistError(
      `WEBHOOK_ALLOWLIST entry "${entry}" is not a hostname, an IP address or a CIDR block`,
    );
  }
  if (name.startsWith("*.")) list.suffixes.push(name.slice(1));
  else list.hosts.add(name);
}

/**
 * Parses the allowlist entries. Throws {@link AllowlistError} naming the first bad entry, so a typo
 * fails start-up instead of silently refusing (or allowing) callbacks.
 *
 * @example
 * const allowlist = parseAllowlist(["127.0.0.1", "10.20.0.0/16", "hooks.internal.example", "*.svc.cluster.local"]);
 */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const list = { hosts: new Set<string>(), suffixes: [] as string[], addresses: new BlockList() };
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry) addEntry(list, entry);
  }
  return { ...list, entries: entries.map((e) => e.trim()).filter(Boolean) };
}

/** Why an allowlist entry is invalid, or undefined (for config schemas). */
export function allowlistEntryError(entry: string): string | undefined {
  try {
    parseAllowlist([entry]);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * True when `hostname` is allow-listed by name.
 *
 * @example
 * allowsHost(parseAllowlist(["*.svc.cluster.local"]), "hooks.default.svc.cluster.local") // true
 */
export function allowsHost(list: Allowlist, hostname: string): boolean {
  const name = normalizeHostname(hostname);
  return list.hosts.has(name) || list.suffixes.some((suffix) => name.endsWith(suffix));
}

/**
 * True when `address` (an IP literal) is allow-listed; an IPv4-mapped IPv6 address counts as its
 * IPv4 address.
 *
 * @example
 * allowsAddress(parseAllowlist(["10.20.0.0/16"]), "10.20.3.4") // true
 */
export function allowsAddress(list: Allowlist, address: string): boolean {
  const version = isIP(address);
  if (version === 0) return false;
  if (list.addresses.check(address, version === 4 ? "ipv4" : "ipv6")) return true;
  const ipv4 = version === 6 ? unmappedIpv4(address) : undefined;
  return ipv4 !== undefined && list.addresses.check(ipv4, "ipv4");
}
