/**
 * HMAC-SHA256 on whatever the runtime offers. Where `node:crypto` exists (Node, Deno, Bun,
 * workerd with `nodejs_compat`) it is used synchronously; elsewhere (a browser-platform bundle,
 * workerd without compatibility flags, edge runtimes) Web Crypto does the work. `node:crypto` is
 * reached through `process.getBuiltinModule`, never a static import, so bundles for the browser
 * platform build and run.
 */

type NodeCrypto = typeof import("node:crypto");

export const nodeCrypto: NodeCrypto | undefined = loadNodeCrypto();

function loadNodeCrypto(): NodeCrypto | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof runtime?.getBuiltinModule !== "function") return undefined;
  try {
    const module = runtime.getBuiltinModule("node:crypto") as NodeCrypto | undefined;
    return typeof module?.createHmac === "function" && typeof module.timingSafeEqual === "function" ? module : undefined;
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();

/** The bytes of `"{prefix}{payload}"`, as signed. */
function signedBytes(prefix: string, payload: Uint8Array | string): Uint8Array {
  const head = encoder.encode(prefix);
  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  const bytes = new Uint8Array(head.byteLength + body.byteLength);
  bytes.set(head, 0);
  bytes.set(body, head.byteLength);
  return bytes;
}

/** HMAC-SHA256 digest with node:crypto; `undefined` where node:crypto is absent. */
export function hmacSync(secret: string, prefix: string, payload: Uint8Array | string): Uint8Array | undefined {
  if (nodeCrypto === undefined) return undefined;
  return nodeCrypto.createHmac("sha256", secret).update(prefix).update(payload).digest();
}

/** Constant-time equality of two digests of the same length (node:crypto's timingSafeEqual). */
export function equalSync(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && nodeCrypto!.timingSafeEqual(a, b);
}

const keys = new Map<string, Promise<CryptoKey>>();

function webKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    // The configured secrets are few; an unbounded map only ever holds those.
    if (keys.size < 16) keys.set(secret, key);
  }
  return key;
}

/** HMAC-SHA256 digest with Web Crypto. */
export async function hmacWeb(secret: string, prefix: string, payload: Uint8Array | string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await webKey(secret), signedBytes(prefix, payload) as Uint8Array<ArrayBuffer>));
}

/**
 * Whether `digest` is the HMAC-SHA256 of the signed bytes, checked by Web Crypto's `verify`,
 * which compares inside the platform's crypto library in constant time.
 */
export async function verifyWeb(secret: string, prefix: string, payload: Uint8Array | string, digest: Uint8Array): Promise<boolean> {
  return crypto.subtle.verify("HMAC", await webKey(secret), digest as Uint8Array<ArrayBuffer>, signedBytes(prefix, payload) as Uint8Array<ArrayBuffer>);
}

/** A random UUID from Web Crypto, which every runtime the kit supports has (Node ≥ 19 too). */
export function randomId(): string {
  return crypto.randomUUID();
}

export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** Decodes hex already checked to be `[0-9a-fA-F]{2n}`. */
export function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  // Character arithmetic, not slice + parseInt: no string per byte on every verification.
  for (let index = 0; index < bytes.length; index++) bytes[index] = (hexDigit(hex.charCodeAt(2 * index)) << 4) | hexDigit(hex.charCodeAt(2 * index + 1));
  return bytes;
}

/** 0–15 for the char code of a hex digit: `0-9`, or `a-f` / `A-F` (`| 32` lower-cases a letter). */
function hexDigit(code: number): number {
  return code <= 57 ? code - 48 : (code | 32) - 87;
}
