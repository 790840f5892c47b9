import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/** The address a request came from, as the per-IP limits and the audit log see it. */
export type ClientIpResolver = (c: Context) => string;

/**
 * The TCP peer address (IPv4-mapped IPv6 written as plain IPv4), or `unknown` outside the Node
 * server (`app.request()` in tests). Behind a load balancer this is the balancer's address: give
 * `authenticate()` a resolver that reads the forwarded address the balancer sets, or every caller
 * shares one failure budget.
 */
export const socketAddress: ClientIpResolver = (c) => {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    address = undefined;
  }
  if (!address) return "unknown";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice("::ffff:".length) : address;
};
