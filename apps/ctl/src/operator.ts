import { hostname, userInfo } from "node:os";

/**
 * Who runs the command, for the audit log's `actor`: the OS user. A container without a passwd
 * entry for its uid has no user name; the uid is better than nothing.
 */
export function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? "unknown"}`;
  }
}

/** The machine the command ran on, kept in the audit row's details. */
export function operatorHost(): string {
  return hostname();
}
