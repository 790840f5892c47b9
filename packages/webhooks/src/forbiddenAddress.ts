import { inPrefix, ipv4Bytes, ipv4Text, ipv6Bytes } from "./ipAddress.ts";

/**
 * Addresses a callback may never reach unless the operator allow-lists them: anything that is not a
 * public unicast address, i.e. this host, the private networks around it, the cloud metadata
 * services (169.254.169.254 and fd00:ec2::254), and addresses nobody should be sending to.
 */

interface Range {
  prefix: Uint8Array;
  bits: number;
  what: string;
}

function v4(text: string, bits: number, what: string): Range {
  return { prefix: ipv4Bytes(text) as Uint8Array, bits, what };
}

function v6(text: string, bits: number, what: string): Range {
  return { prefix: ipv6Bytes(text) as Uint8Array, bits, what };
}

const IPV4_RANGES: readonly Range[] = [
  v4("0.0.0.0", 8, "an unspecified address (0.0.0.0/8)"),
  v4("10.0.0.0", 8, "a private address (10.0.0.0/8)"),
  v4("100.64.0.0", 10, "a carrier-grade NAT address (100.64.0.0/10)"),
  v4("127.0.0.0", 8, "a loopback address (127.0.0.0/8)"),
  v4("169.254.0.0", 16, "a link-local or cloud metadata address (169.254.0.0/16)"),
  v4("172.16.0.0", 12, "a private address (172.16.0.0/12)"),
  v4("192.0.0.0", 24, "an IETF protocol address (192.0.0.0/24)"),
  v4("192.0.2.0", 24, "a documentation address (192.0.2.0/24)"),
  v4("192.168.0.0", 16, "a private address (192.168.0.0/16)"),
  v4("198.18.0.0", 15, "a benchmarking address (198.18.0.0/15)"),
  v4("198.51.100.0", 24, "a documentation address (198.51.100.0/24)"),
  v4("203.0.113.0", 24, "a documentation address (203.0.113.0/24)"),
  v4("224.0.0.0", 4, "a multicast address (224.0.0.0/4)"),
  v4("240.0.0.0", 4, "a reserved or broadcast address (240.0.0.0/4)"),
];

const IPV6_RANGES: readonly Range[] = [
  v6("::", 128, "the unspecified address (::)"),
  v6("::1", 128, "the loopback address (::1)"),
  v6("64:ff9b:1::", 48, "a local-use NAT64 address (64:ff9b:1::/48)"),
  v6("100::", 64, "a discard-only address (100::/64)"),
  v6("2001::", 32, "a Teredo address (2001::/32)"),
  v6("2001:db8::", 32, "a documentation address (2001:db8::/32)"),
  v6("fc00::", 7, "a unique local address (fc00::/7, e.g. the AWS metadata service fd00:ec2::254)"),
  v6("fe80::", 10, "a link-local address (fe80::/10)"),
  v6("fec0::", 10, "a site-local address (fec0::/10)"),
  v6("ff00::", 8, "a multicast address (ff00::/8)"),
];

/**
 * IPv6 forms that carry an IPv4 address, which is what a connection to them ends up reaching
 * (directly for mapped forms, through a translator for NAT64 and 6to4): the embedded address is
 * judged. Returns the embedded address's bytes and the form's name.
 */
function embeddedIpv4(bytes: Uint8Array): { ipv4: Uint8Array; form: string } | undefined {
  const zero = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff)
    return { ipv4: bytes.subarray(12), form: "IPv4-mapped" };
  // ::ffff:0:a.b.c.d, the SIIT "IPv4-translated" form.
  if (zero(0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zero(10, 12))
    return { ipv4: bytes.subarray(12), form: "IPv4-translated" };
  if (zero(0, 12)) return { ipv4: bytes.subarray(12), form: "IPv4-compatible" };
  if (inPrefix(bytes, ipv6Bytes("64:ff9b::") as Uint8Array, 96))
    return { ipv4: bytes.subarray(12), form: "NAT64" };
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return { ipv4: bytes.subarray(2, 6), form: "6to4" };
  return undefined;
}

function ipv4Reason(bytes: Uint8Array): string | undefined {
  return IPV4_RANGES.find((range) => inPrefix(bytes, range.prefix, range.bits))?.what;
}

/**
 * Why `address` (an IP literal without brackets) may not be a callback target, or undefined when it
 * is a public unicast address. Text that is not an IP address is refused too.
 *
 * @example
 * forbiddenAddressReason("169.254.169.254") // "a link-local or cloud metadata address (169.254.0.0/16)"
 * forbiddenAddressReason("::ffff:7f00:1")   // "IPv4-mapped form of 127.0.0.1, a loopback address (127.0.0.0/8)"
 * forbiddenAddressReason("93.184.215.14")   // undefined
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const four = ipv4Bytes(address);
  if (four) return ipv4Reason(four);
  const six = ipv6Bytes(address);
  if (!six) return "not an IP address";
  const own = IPV6_RANGES.find((range) => inPrefix(six, range.prefix, range.bits));
  if (own) return own.what;
  const embedded = embeddedIpv4(six);
  if (embedded) {
    const reason = ipv4Reason(embedded.ipv4);
    if (reason) return `${embedded.form} form of ${ipv4Text(embedded.ipv4)}, ${reason}`;
    // Deprecated (RFC 4291) and not routed: nothing legitimate is reached this way.
    if (embedded.form === "IPv4-compatible") return "a deprecated IPv4-compatible address (::/96)";
  }
  return undefined;
}

/** The IPv4 address an IPv4-mapped IPv6 address stands for (`::ffff:a.b.c.d`), else undefined. */
export function unmappedIpv4(address: string): string | undefined {
  const six = ipv6Bytes(address);
  const embedded = six ? embeddedIpv4(six) : undefined;
  return embedded?.form === "IPv4-mapped" ? ipv4Text(embedded.ipv4) : undefined;
}
