import { isIPv4, isIPv6 } from "node:net";

/**
 * Byte-level parsing of IP address text, so that ranges are compared on numbers and every textual
 * form of an address (`::ffff:7f00:1`, `::ffff:127.0.0.1`, `0:0:0:0:0:ffff:7f00:1`) is one value.
 */

/** The 4 bytes of a dotted IPv4 address, or undefined. */
export function ipv4Bytes(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  return Uint8Array.from(text.split(".").map(Number));
}

/** The 16 bytes of an IPv6 address (with or without an embedded dotted IPv4 tail), or undefined. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  if (!isIPv6(text) || text.includes("%")) return undefined;
  let groups = text;
  const tail: number[] = [];
  const lastColon = groups.lastIndexOf(":");
  const maybeV4 = groups.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    const v4 = ipv4Bytes(maybeV4);
    if (!v4) return undefined;
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    // Keep the "::" if the IPv4 part directly followed it ("::ffff:1.2.3.4" or "::1.2.3.4").
    groups = groups.slice(0, lastColon + 1);
    if (!groups.endsWith("::")) groups = groups.slice(0, -1);
  }
  const [head = "", rest] = groups.split("::");
  const parse = (part: string): number[] =>
    part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  const left = parse(head);
  const right = [...parse(rest ?? ""), ...tail];
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (rest === undefined && missing !== 0)) return undefined;
  const words = [...left, ...new Array<number>(rest === undefined ? 0 : missing).fill(0), ...right];
  const bytes = new Uint8Array(16);
  words.forEach((word, index) => {
    bytes[index * 2] = word >> 8;
    bytes[index * 2 + 1] = word & 0xff;
  });
  return bytes;
}

/** True when the first `bits` bits of `address` equal those of `prefix`. */
export function inPrefix(address: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const remaining = Math.min(8, bits - bit);
    const mask = (0xff << (8 - remaining)) & 0xff;
    const index = bit / 8;
    if (((address[index] ?? 0) & mask) !== ((prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** Dotted text of 4 bytes. */
export function ipv4Text(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join(".");
}
