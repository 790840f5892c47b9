import { describe, expect, it } from "vitest";
import { AllowlistError, allowlistEntryError, parseAllowlist } from "./allowlist.ts";
import { forbiddenAddressReason } from "./forbiddenAddress.ts";
import { ipv6Bytes } from "./ipAddress.ts";
import type { ResolvedAddress, Resolver } from "./resolver.ts";
import { type CallbackUrlPolicy, checkCallbackUrl } from "./urlGuard.ts";

/** A resolver with fixed answers; unknown names fail like getaddrinfo does. */
function fakeResolver(answers: Record<string, string[]>): Resolver {
  return async (hostname) => {
    const addresses = answers[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address): ResolvedAddress => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

const resolve = fakeResolver({
  "hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  "rebind.example.com": ["10.0.0.1"],
  "mixed.example.com": ["93.184.215.14", "192.168.1.10"],
  "metadata.example.com": ["169.254.169.254"],
  "v6meta.example.com": ["fd00:ec2::254"],
  "mapped.example.com": ["::ffff:127.0.0.1"],
  "internal.corp.example": ["10.20.3.4"],
  "hooks.svc.cluster.local": ["10.96.0.12"],
  "empty.example.com": [],
});

const strict: CallbackUrlPolicy = { allowHttp: false, allowlist: parseAllowlist([]), resolve };

describe("checkCallbackUrl refuses", () => {
  it.each([
    ["http://hooks.example.com/x", "scheme must be https"],
    ["ftp://hooks.example.com/x", "scheme must be https"],
    ["javascript:alert(1)", "scheme must be https"],
    ["file:///etc/passwd", "scheme must be https"],
    ["not a url", "not an absolute URL"],
    ["https://user:pass@hooks.example.com/", "credentials"],
    ["https://user@hooks.example.com/", "credentials"],
    ["https://hooks.example.com:0/", "port must be between 1 and 65535"],
    ["https://hooks.example.com:65536/", "not an absolute URL"],
    ["https://127.0.0.1/", "loopback"],
    ["https://127.255.255.254:8443/", "loopback"],
    ["https://2130706433/", "loopback"],
    ["https://0x7f000001/", "loopback"],
    ["https://0177.0.0.1/", "loopback"],
    ["https://127.1/", "loopback"],
    ["https://127.0.0.1./", "loopback"],
    ["https://0.0.0.0/", "unspecified"],
    ["https://0/", "unspecified"],
    ["https://10.0.0.1/", "private address (10.0.0.0/8)"],
    ["https://172.16.0.1/", "private address (172.16.0.0/12)"],
    ["https://172.31.255.255/", "private address (172.16.0.0/12)"],
    ["https://192.168.1.1/", "private address (192.168.0.0/16)"],
    ["https://100.64.0.1/", "carrier-grade NAT"],
    ["https://100.127.255.254/", "carrier-grade NAT"],
    ["https://169.254.169.254/latest/meta-data/", "cloud metadata"],
    ["https://169.254.0.1/", "link-local"],
    ["https://224.0.0.1/", "multicast"],
    ["https://239.255.255.250/", "multicast"],
    ["https://255.255.255.255/", "broadcast"],
    ["https://240.0.0.1/", "reserved"],
    ["https://192.0.0.192/", "IETF protocol"],
    ["https://[::1]/", "loopback address (::1)"],
    ["https://[::]/", "unspecified address (::)"],
    ["https://[0:0:0:0:0:0:0:1]/", "loopback"],
    ["https://[::ffff:127.0.0.1]/", "IPv4-mapped form of 127.0.0.1"],
    ["https://[::ffff:7f00:1]/", "IPv4-mapped form of 127.0.0.1"],
    ["https://[0:0:0:0:0:ffff:a9fe:a9fe]/", "IPv4-mapped form of 169.254.169.254"],
    ["https://[::ffff:10.0.0.1]/", "IPv4-mapped form of 10.0.0.1"],
    ["https://[::ffff:0:10.0.0.1]/", "IPv4-translated form of 10.0.0.1"],
    ["https://[::127.0.0.1]/", "IPv4-compatible form of 127.0.0.1"],
    ["https://[::8.8.8.8]/", "deprecated IPv4-compatible"],
    ["https://[64:ff9b::a9fe:a9fe]/", "NAT64 form of 169.254.169.254"],
    ["https://[2002:c0a8:101::1]/", "6to4 form of 192.168.1.1"],
    ["https://[fc00::1]/", "unique local"],
    ["https://[fd00:ec2::254]/", "AWS metadata"],
    ["https://[fe80::1]/", "link-local address (fe80::/10)"],
    ["https://[febf:ffff::1]/", "link-local"],
    ["https://[fec0::1]/", "site-local"],
    ["https://[ff02::1]/", "multicast"],
    ["https://[2001:db8::1]/", "documentation"],
    ["https://localhost/", "loopback name"],
    ["https://LOCALHOST./", "loopback name"],
    ["https://api.localhost/", "loopback name"],
    ["https://rebind.example.com/", "rebind.example.com resolves to 10.0.0.1, a private address"],
    ["https://mixed.example.com/", "resolves to 192.168.1.10"],
    ["https://metadata.example.com/", "resolves to 169.254.169.254"],
    ["https://v6meta.example.com/", "resolves to fd00:ec2::254"],
    ["https://mapped.example.com/", "IPv4-mapped form of 127.0.0.1"],
  ])("%s (%s)", async (url, reason) => {
    const check = await checkCallbackUrl(url, strict);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.reason).toContain(reason);
      expect(check.transient).toBe(false);
    }
  });

  it("a name that does not resolve, or has no address, is a transient refusal", async () => {
    for (const url of ["https://nowhere.example.com/", "https://empty.example.com/"]) {
      const check = await checkCallbackUrl(url, strict);
      expect(check).toMatchObject({ ok: false, transient: true });
    }
  });
});

describe("checkCallbackUrl accepts", () => {
  it("public https targets, with every address they resolve to", async () => {
    const check = await checkCallbackUrl("https://Hooks.Example.com./accounts?x=1#frag", strict);
    expect(check.ok).toBe(true);
    if (check.ok) {
      expect(check.addresses.map((a) => a.address)).toEqual([
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
      ]);
      expect(check.url.pathname).toBe("/accounts");
    }
    expect((await checkCallbackUrl("https://93.184.215.14:8443/", strict)).ok).toBe(true);
    expect((await checkCallbackUrl("https://[2606:4700::6810:84e5]/", strict)).ok).toBe(true);
    expect((await checkCallbackUrl("https://[::ffff:8.8.8.8]/", strict)).ok).toBe(true);
  });

  it("http only where the policy allows it", async () => {
    const check = await checkCallbackUrl("http://hooks.example.com/", { ...strict, allowHttp: true });
    expect(check.ok).toBe(true);
  });

  it("allow-listed addresses, CIDR blocks and names", async () => {
    const policy: CallbackUrlPolicy = {
      allowHttp: true,
      resolve,
      allowlist: parseAllowlist([
        "127.0.0.1",
        " 10.20.0.0/16 ",
        "*.svc.cluster.local",
        "[fd00:ec2::254]",
        "rebind.example.com.",
        "localhost",
      ]),
    };
    const ok = async (url: string) => (await checkCallbackUrl(url, policy)).ok;
    expect(await ok("http://127.0.0.1:8080/hook")).toBe(true);
    expect(await ok("http://[::ffff:127.0.0.1]:8080/hook")).toBe(true);
    expect(await ok("http://127.0.0.2/hook")).toBe(false);
    expect(await ok("https://10.20.255.1/")).toBe(true);
    expect(await ok("https://10.21.0.1/")).toBe(false);
    expect(await ok("https://internal.corp.example/")).toBe(true);
    expect(await ok("https://hooks.svc.cluster.local/")).toBe(true);
    expect(await ok("https://[fd00:ec2::254]/")).toBe(true);
    expect(await ok("https://REBIND.example.com/")).toBe(true);
    expect(await ok("https://localhost/")).toBe(false); // allowed by name, but unresolvable here: transient
    expect(await ok("https://metadata.example.com/")).toBe(false);
  });
});

describe("the allowlist", () => {
  it("refuses malformed entries naming them", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0.0/", "::/129", "not a host", "http://x.example", "1.2.3.4/x"]) {
      expect(() => parseAllowlist([bad])).toThrow(AllowlistError);
      expect(allowlistEntryError(bad)).toContain(bad);
    }
    expect(allowlistEntryError("hooks.example.com")).toBeUndefined();
  });
});

describe("address parsing", () => {
  it("reads every IPv6 text form to the same bytes", () => {
    const a = ipv6Bytes("::ffff:127.0.0.1");
    expect(a).toEqual(ipv6Bytes("::ffff:7f00:1"));
    expect(a).toEqual(ipv6Bytes("0:0:0:0:0:ffff:7f00:0001"));
    expect(ipv6Bytes("fe80::1%eth0")).toBeUndefined();
    expect(ipv6Bytes("1::2::3")).toBeUndefined();
    expect(forbiddenAddressReason("example.com")).toBe("not an IP address");
    expect(forbiddenAddressReason("8.8.8.8")).toBeUndefined();
    expect(forbiddenAddressReason("2606:4700::6810:84e5")).toBeUndefined();
  });
});
