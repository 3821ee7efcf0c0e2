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
    // Stryker disable next-line OptionalChaining,StringLiteral: equivalent, hmacSync returns before this without node:crypto, and createSecretKey reads an empty encoding as utf8
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
  if (oneShot()) return Buffer.from(oneShotHmac(secret, prefix, payload), "latin1");
  return nodeCrypto.createHmac("sha256", nodeKey(secret)).update(prefix).update(payload).digest();
}

// The digest of a synchronous verification: compared and no longer needed before the call
// returns, so one buffer serves every call.
let computedDigest: Buffer | undefined;

/**
 * Whether `expected` (32 bytes) is the HMAC-SHA256 of `"{prefix}{payload}"` under `secret`,
 * compared in constant time (node:crypto's timingSafeEqual); `undefined` where node:crypto is absent.
 */
export function verifyHmacSync(secret: string, prefix: string, payload: Uint8Array | string, expected: Uint8Array): boolean | undefined {
  if (nodeCrypto === undefined) return undefined;
  if (!oneShot()) return equalSync(nodeCrypto.createHmac("sha256", nodeKey(secret)).update(prefix).update(payload).digest(), expected);
  computedDigest ??= Buffer.alloc(32);
  computedDigest.write(oneShotHmac(secret, prefix, payload), 0, "latin1");
  return equalSync(computedDigest, expected);
}

/** Constant-time equality of two digests of the same length (node:crypto's timingSafeEqual). */
export function equalSync(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && nodeCrypto!.timingSafeEqual(a, b);
}

// ── HMAC from node:crypto's one-shot hash ─────────────────────────────────────
//
// HMAC-SHA256 as RFC 2104 defines it, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ message)), with node:crypto's
// `hash()` (Node ≥ 20.12): two one-shot digests, where `createHmac` builds an Hmac stream object,
// looks the digest up by name and allocates an OpenSSL context for every message. Under callgrind
// this is about a quarter fewer instructions per verification (test/bench/signature.bench.ts).
// The digests travel as latin1 ("binary") strings, one character per byte, which need no Buffer
// per call.

const BLOCK = 64;

/** One secret's pads: `K ⊕ ipad`, and `K ⊕ opad` with room for the inner digest after it. */
interface HmacPads {
  inner: Uint8Array;
  outer: Buffer;
}

const padsBySecret = new Map<string, HmacPads>();

function padsOf(secret: string): HmacPads {
  let pads = padsBySecret.get(secret);
  if (pads === undefined) {
    // Stryker disable next-line StringLiteral: equivalent, Buffer.from reads an empty encoding as utf8
    let key: Uint8Array = Buffer.from(secret, "utf8");
    // A key longer than the block is hashed first (RFC 2104, section 2).
    if (key.byteLength > BLOCK) key = nodeCrypto!.createHash("sha256").update(key).digest();
    const inner = new Uint8Array(BLOCK);
    const outer = Buffer.alloc(BLOCK + 32);
    for (let index = 0; index < BLOCK; index++) {
      const byte = key[index] ?? 0;
      inner[index] = byte ^ 0x36;
      outer[index] = byte ^ 0x5c;
    }
    pads = { inner, outer };
    // As for the node:crypto keys: the first 16 secrets seen are kept.
    if (padsBySecret.size < 16) padsBySecret.set(secret, pads);
  }
  return pads;
}

/**
 * `K ⊕ ipad`, the prefix and the payload, one after the other; made on first use (a runtime
 * without node:crypto, such as Workers, has no global `Buffer` either) and grown when a message
 * needs more.
 */
let message: Buffer | undefined;

/** The HMAC-SHA256 of `"{prefix}{payload}"` as a latin1 string of 32 characters. */
function oneShotHmac(secret: string, prefix: string, payload: Uint8Array | string): string {
  const { inner, outer } = padsOf(secret);
  const hash = nodeCrypto!.hash;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const most = BLOCK + 3 * prefix.length + (typeof payload === "string" ? 3 * payload.length : payload.byteLength);
  // Stryker disable next-line MethodExpression: equivalent, Math.min makes the first buffer (the self-check's) only as long as its message, and the next longer one grows it
  if (message === undefined) message = Buffer.alloc(Math.max(most, 1024));
  else if (message.byteLength < most) message = Buffer.alloc(Math.max(most, 2 * message.byteLength));
  message.set(inner, 0);
  // Stryker disable next-line StringLiteral: equivalent, Buffer#write reads an empty encoding as utf8
  let length = BLOCK + message.write(prefix, BLOCK, "utf8");
  if (typeof payload === "string") {
    // Stryker disable next-line StringLiteral: equivalent, as above
    length += message.write(payload, length, "utf8");
  } else {
    message.set(payload, length);
    length += payload.byteLength;
  }
  outer.write(hash("sha256", new Uint8Array(message.buffer, message.byteOffset, length), "binary"), BLOCK, "latin1");
  return hash("sha256", outer, "binary");
}

let oneShotWorks: boolean | undefined;

/**
 * Whether node:crypto has `hash()` and it computes HMAC-SHA256 here exactly as `createHmac` does
 * (checked once, on RFC 4231's test case 2, and on a key longer than the block): a runtime whose
 * node:crypto lacks it, or treats an argument differently, keeps `createHmac`.
 */
function oneShot(): boolean {
  if (oneShotWorks === undefined) {
    oneShotWorks = false;
    try {
      const agrees = (secret: string, text: string) =>
        Buffer.from(oneShotHmac(secret, "", new TextEncoder().encode(text)), "latin1").equals(nodeCrypto!.createHmac("sha256", secret).update(text).digest());
      oneShotWorks = agrees("Jefe", "what do ya want for nothing?") && agrees("k".repeat(100), "a longer key");
    } catch {
      // No hash() (Node before 20.12: calling it throws a TypeError), or one that refuses these
      // arguments: oneShotWorks stays false.
    }
  }
  return oneShotWorks;
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
