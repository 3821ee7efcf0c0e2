import { BlockList, isIP } from "node:net";

/**
 * Why a webhook URL is refused, or `undefined` when it is acceptable. With `production` on,
 * VIZOCHOK's rule applies: HTTPS only, no localhost, no loopback, private or link-local address
 * literals. Host names are not resolved, so a public name pointing at a private address passes.
 */
export function webhookUrlProblem(value: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "not an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be http(s)";
  if (!production) return undefined;
  if (url.protocol !== "https:") return "must use HTTPS";
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return "localhost is not allowed";
  if (isPrivateAddress(host)) return "private and loopback addresses are not allowed";
  return undefined;
}

/**
 * Loopback, private, link-local, carrier-grade NAT and unspecified ranges. `BlockList` also
 * matches IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`, which URL parsing turns into
 * `::ffff:7f00:1`) against the IPv4 ranges, so they are refused like the addresses they are.
 */
const INTERNAL = new BlockList();
for (const [network, prefix] of [["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.168.0.0", 16]] as const) {
  INTERNAL.addSubnet(network, prefix, "ipv4");
}
INTERNAL.addAddress("::", "ipv6");
INTERNAL.addAddress("::1", "ipv6");
INTERNAL.addSubnet("fc00::", 7, "ipv6");
INTERNAL.addSubnet("fe80::", 10, "ipv6");

function isPrivateAddress(host: string): boolean {
  const version = isIP(host);
  if (version === 0) return false;
  return INTERNAL.check(host, version === 4 ? "ipv4" : "ipv6");
}
