/**
 * HMAC-SHA256 on whatever the runtime offers. Where `node:crypto` exists (Node, Deno, Bun,
 * workerd with `nodejs_compat`) it is used synchronously; elsewhere (a browser-platform bundle,
 * workerd without compatibility flags, edge runtimes) Web Crypto does the work. `node:crypto` is
 * reached through `process.getBuiltinModule`, never a static import, so bundles for the browser
 * platform build and run.
 */

type NodeCrypto = typeof import("node:crypto");

/** What `loadNodeCrypto` reads of the runtime: its `process`, if it has one. */
export type Runtime = { getBuiltinModule?: (id: string) => unknown } | undefined;

export const nodeCrypto: NodeCrypto | undefined = loadNodeCrypto((globalThis as { process?: Runtime }).process);

/** node:crypto from `runtime.getBuiltinModule`; `undefined` where there is none, or it lacks what the kit uses. */
export function loadNodeCrypto(runtime: Runtime): NodeCrypto | undefined {
  let module: Partial<NodeCrypto> | undefined;
  try {
    // Stryker disable next-line OptionalChaining: equivalent, without process or getBuiltinModule the call throws a TypeError, caught below as the same undefined
    module = runtime?.getBuiltinModule?.("node:crypto") as Partial<NodeCrypto> | undefined;
  } catch {
    // A getBuiltinModule that refuses node:crypto: the runtime has none to offer.
  }
  return typeof module?.createHmac === "function" && typeof module.timingSafeEqual === "function" ? (module as NodeCrypto) : undefined;
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

type HmacKey = string | import("node:crypto").KeyObject;

const nodeKeys = new Map<string, HmacKey>();

/**
 * The secret as a node:crypto key, made once per secret: `createHmac` then skips encoding the
 * string on every call. Where node:crypto (or its createSecretKey) is absent, the secret itself.
 */
function nodeKey(secret: string): HmacKey {
  let key = nodeKeys.get(secret);
  if (key === undefined) {
    key = typeof nodeCrypto?.createSecretKey === "function" ? nodeCrypto.createSecretKey(secret, "utf8") : secret;
    // The first 16 secrets seen are kept (a process has a few configured ones); any later one
    // works the same, only without the saving.
    if (nodeKeys.size < 16) nodeKeys.set(secret, key);
  }
  return key;
}

/** HMAC-SHA256 digest with node:crypto; `undefined` where node:crypto is absent. */
export function hmacSync(secret: string, prefix: string, payload: Uint8Array | string): Uint8Array | undefined {
  if (nodeCrypto === undefined) return undefined;
  return nodeCrypto.createHmac("sha256", nodeKey(secret)).update(prefix).update(payload).digest();
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

// The value of each hex digit by char code, -1 for the rest. Upper-case A-F (10-15) have 16
// added: the mark decodeHex reports, and `& 15` drops.
const HEX_VALUES = new Int8Array(128).fill(-1);
[..."0123456789abcdef"].forEach((char, digit) => {
  HEX_VALUES[char.charCodeAt(0)] = digit;
});
[..."ABCDEF"].forEach((char, index) => {
  HEX_VALUES[char.charCodeAt(0)] = 26 + index;
});

/**
 * Decodes the `2 × into.length` hex digits of `text` from `start` into `into`. `undefined` when
 * one is not a hex digit (`0-9`, `a-f`, `A-F`), else whether any was upper-case. Character
 * arithmetic, no string per byte.
 */
export function decodeHex(text: string, start: number, into: Uint8Array): boolean | undefined {
  let seen = 0;
  for (let index = 0; index < into.length; index++) {
    const high = hexValue(text.charCodeAt(start + 2 * index));
    const low = hexValue(text.charCodeAt(start + 2 * index + 1));
    if (high < 0 || low < 0) return undefined;
    seen |= high | low;
    into[index] = ((high & 15) << 4) | (low & 15);
  }
  return (seen & 16) !== 0;
}

/** `HEX_VALUES` of a char code; -1 past the table (and for NaN, past the end of the text). */
function hexValue(code: number): number {
  return code < 128 ? HEX_VALUES[code]! : -1;
}
