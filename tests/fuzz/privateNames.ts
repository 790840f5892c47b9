import { lookup } from "node:dns/promises";
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { forbiddenAddressReason } from "@accounts/webhooks";

const HOSTS = "/etc/hosts";
const MARK = "# accounts-fuzz (removed after the test)";

/** DNS names (not `localhost` forms, which the guard refuses by name) resolving to private addresses. */
export interface PrivateNames {
  names: readonly string[];
  /** Removes the /etc/hosts line this test added, if it added one. */
  cleanup(): void;
}

/**
 * Names that the system resolver (which the API uses) turns into a forbidden address, so that the
 * SSRF guard must refuse them for what they resolve to, not for how they look: the machine's own
 * hostname and the other /etc/hosts names (Docker maps the container's name to its private address;
 * Debian maps ip6-localhost), or, when none exists and /etc/hosts is writable (CI runs as root), a
 * name this test adds for the run. Names under .test cannot exist in public DNS (RFC 6761).
 *
 * @example
 * const { names, cleanup } = await privateNames(); // ["vm", "ip6-localhost"]
 */
export async function privateNames(): Promise<PrivateNames> {
  const candidates = new Set<string>([hostname()]);
  let text = "";
  try {
    text = readFileSync(HOSTS, "utf8");
  } catch {
    // No /etc/hosts: the hostname alone.
  }
  for (const line of text.split("\n")) {
    const [, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    for (const name of names) if (name && !/localhost/i.test(name)) candidates.add(name);
  }
  const names: string[] = [];
  for (const name of candidates) if (await resolvesPrivately(name)) names.push(name);
  if (names.length > 0) return { names, cleanup: () => {} };

  const added = `accounts-fuzz-${process.pid}.test`;
  try {
    accessSync(HOSTS, constants.W_OK);
  } catch {
    return { names, cleanup: () => {} };
  }
  writeFileSync(
    HOSTS,
    `${text.endsWith("\n") || text === "" ? text : `${text}\n`}10.11.12.13 ${added} ${MARK}\n`,
  );
  return {
    names: (await resolvesPrivately(added)) ? [added] : [],
    cleanup: () => {
      const now = readFileSync(HOSTS, "utf8");
      writeFileSync(
        HOSTS,
        now
          .split("\n")
          .filter((line) => !line.includes(added))
          .join("\n"),
      );
    },
  };
}

async function resolvesPrivately(name: string): Promise<boolean> {
  try {
    const addresses = await lookup(name, { all: true });
    return addresses.length > 0 && addresses.every((a) => forbiddenAddressReason(a.address) !== undefined);
  } catch {
    return false;
  }
}
