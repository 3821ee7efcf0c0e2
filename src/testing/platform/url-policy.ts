import { isIP } from "node:net";

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

function isPrivateAddress(host: string): boolean {
  const version = isIP(host);
  if (version === 4) {
    const [a = 0, b = 0] = host.split(".").map(Number);
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (version === 6) {
    if (host === "::1" || host === "::") return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (mapped) return isPrivateAddress(mapped[1]!);
    return /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  }
  return false;
}
