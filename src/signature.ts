import { decodeHex, hmacSync, hmacWeb, nodeCrypto, toHex, verifyHmacSync, verifyWeb } from "./crypto.js";
import { choiceRule, describe, positiveRule, secretsRule } from "./core/option-rules.js";
import type { SignatureErrorCode } from "./errors.js";

export const SIGNATURE_HEADER = "x-vizochok-signature";
export const TIMESTAMP_HEADER = "x-vizochok-timestamp";
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * What a GET signature covers. `"empty-body"` is what VIZOCHOK sends today: `"{timestamp}."`.
 * `"path-and-query"` signs `"{timestamp}.{path}?{query}"` so a signature is bound to one session;
 * enable it only once VIZOCHOK confirms it signs GETs that way.
 */
export type GetSigningMode = "empty-body" | "path-and-query";

/** Header lookup over the shapes Node, Express and the Fetch API hand us. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

/** What `signWebhook` and `signWebhookAsync` take. */
export interface SignWebhookOptions {
  /** The webhook secret to sign with, a non-empty string (the receiver's `VIZOCHOK_WEBHOOK_SECRET`). */
  secret: string;
  /** The exact bytes that will be sent. Strings are encoded as UTF-8. Omit for GET. */
  body?: string | Uint8Array;
  /** Unix seconds, a non-negative integer; defaults to now. */
  timestamp?: number;
  /** The request method; default `"POST"` with a body, `"GET"` without. */
  method?: string;
  /** Request target (`/path?query`), needed only for `getSigning: "path-and-query"`. */
  url?: string;
  /** What a GET signature covers; default `"empty-body"`, as VIZOCHOK signs today. */
  getSigning?: GetSigningMode;
}

/** The two headers a signed request carries, named as VIZOCHOK sends them. */
export type SignedHeaders = {
  "X-VIZOCHOK-Signature": string;
  "X-VIZOCHOK-Timestamp": string;
};

/**
 * Signs a webhook exactly as VIZOCHOK does: HMAC-SHA256 over `"{timestamp}.{raw body}"`. Needs
 * `node:crypto` (Node, Deno, Bun, workerd with `nodejs_compat`); `signWebhookAsync` runs anywhere.
 *
 * @example
 * const body = JSON.stringify({ skus: ["milk-001"], store_id: "store-1" });
 * const headers = signWebhook({ secret, body });
 * await fetch(url, { method: "POST", body, headers: { ...headers, "content-type": "application/json" } });
 */
export function signWebhook(options: SignWebhookOptions): SignedHeaders {
  const { timestamp, payload } = signingInput(options);
  const digest = hmacSync(options.secret, `${timestamp}.`, payload);
  if (digest === undefined) throw new TypeError("signWebhook needs node:crypto, which this runtime lacks; use signWebhookAsync");
  return { "X-VIZOCHOK-Signature": `sha256=${toHex(digest)}`, "X-VIZOCHOK-Timestamp": String(timestamp) };
}

/**
 * `signWebhook` on any runtime: Web Crypto where `node:crypto` is absent.
 *
 * @example
 * const headers = await signWebhookAsync({ secret, body });
 */
export async function signWebhookAsync(options: SignWebhookOptions): Promise<SignedHeaders> {
  const { timestamp, payload } = signingInput(options);
  const digest = hmacSync(options.secret, `${timestamp}.`, payload) ?? (await hmacWeb(options.secret, `${timestamp}.`, payload));
  return { "X-VIZOCHOK-Signature": `sha256=${toHex(digest)}`, "X-VIZOCHOK-Timestamp": String(timestamp) };
}

function signingInput(options: SignWebhookOptions): { timestamp: number; payload: Uint8Array | string } {
  if (typeof options?.secret !== "string" || options.secret.length === 0) {
    throw new TypeError("signWebhook: secret must be a non-empty string");
  }
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError("signWebhook: timestamp must be a non-negative integer (unix seconds)");
  }
  const payload = signedPayload(options.method ?? (options.body === undefined ? "GET" : "POST"), {
    body: options.body,
    target: options.url,
    getSigning: options.getSigning ?? "empty-body",
  });
  return { timestamp, payload };
}

/**
 * What `verifyWebhookSignature` takes. The router's option names work too (`secret`, `now` as a
 * clock), and the same rules apply: an option it cannot use is an `invalid_options` result.
 */
export interface VerifyWebhookSignatureOptions {
  /** Accepted secrets, current first, then previous ones during a rotation. */
  secrets?: string | readonly string[];
  /** The same as `secrets`, under the name the router and handlers take. */
  secret?: string | readonly string[];
  /** The request's headers: a Fetch `Headers`, or Node's / Express's header object. */
  headers: HeaderSource;
  /** The body exactly as received (empty for GET): a string or bytes, never a parsed object. */
  rawBody: Uint8Array | string;
  /** The request method; default `"POST"`. */
  method?: string;
  /** Request target (`/path?query`), used only with `getSigning: "path-and-query"`. */
  url?: string;
  /** What a GET signature covers; default `"empty-body"`. */
  getSigning?: GetSigningMode;
  /** Current time in epoch milliseconds, or a clock that returns it (as the router's `now`); defaults to `Date.now()`. */
  now?: number | (() => number);
  /** The window, both ways, in seconds: finite and positive; default 300. */
  toleranceSeconds?: number;
}

/** A call that cannot be checked as made: the options or the body are not what the function takes. */
export type VerifyUsageErrorCode = "invalid_options" | "parsed_body";

export type VerifyResult = SignatureCheck | { ok: false; code: VerifyUsageErrorCode; message: string };

/** The verdict on a request's own signature, its options already checked: no usage codes. */
export type SignatureCheck =
  | { ok: true; secretIndex: number; timestamp: number; signature: string }
  | { ok: false; code: SignatureErrorCode; message: string };

const SIGNATURE_PREFIX = "sha256=";
/** `"sha256="` and the 64 hex digits of a SHA-256 digest. */
const SIGNATURE_LENGTH = SIGNATURE_PREFIX.length + 64;

/** The headers of a request that passed every check before the HMAC. */
type SignedParts = { ok: true; timestamp: number; prefix: string; hex: string } | { ok: false; result: SignatureCheck };

// The received digest of a synchronous verification: decoded, compared and no longer needed
// before the call returns, so one buffer serves every call.
const receivedDigest = new Uint8Array(32);

/**
 * Verifies VIZOCHOK's signature over the raw request bytes, in constant time, inside a two-sided
 * window. Never throws: every failure, including options it cannot use and a body that was
 * already parsed into an object, is a result with a stable code and a message naming the fix.
 * Needs `node:crypto` (Node, Deno, Bun, workerd with `nodejs_compat`); elsewhere it answers
 * `invalid_options` naming `verifyWebhookSignatureAsync`, which runs on Web Crypto.
 *
 * @example
 * const result = verifyWebhookSignature({ secrets: process.env.VIZOCHOK_WEBHOOK_SECRET!, headers: req.headers, rawBody });
 * if (!result.ok) return res.status(401).json({ error: result.code });
 */
export function verifyWebhookSignature(options: VerifyWebhookSignatureOptions): VerifyResult {
  const nowMs = checkOptions(options);
  if (typeof nowMs !== "number") return nowMs;
  if (nodeCrypto === undefined) {
    return { ok: false, code: "invalid_options", message: "verifyWebhookSignature needs node:crypto, which this runtime lacks; use verifyWebhookSignatureAsync" };
  }
  const { getSigning = "empty-body", toleranceSeconds = DEFAULT_TOLERANCE_SECONDS } = options;
  return verifySignatureSync(secretsOf(options) as string | readonly string[], options, getSigning, toleranceSeconds, nowMs);
}

/** What the signature check reads of a request (`verifyWebhookSignature`'s options are one). */
export interface SignatureInput {
  headers: HeaderSource;
  rawBody: Uint8Array | string;
  /** Default `"POST"`. */
  method?: string | undefined;
  url?: string | undefined;
}

/**
 * The check itself, with node:crypto, on options already checked (by `verifyWebhookSignature`,
 * or once at setup by the core): the headers, the window, then the HMAC under each secret,
 * compared in constant time.
 */
export function verifySignatureSync(
  secrets: string | readonly string[],
  request: SignatureInput,
  getSigning: GetSigningMode,
  toleranceSeconds: number,
  nowMs: number,
): SignatureCheck {
  const parts = readSignedParts(request.headers, toleranceSeconds, nowMs, receivedDigest);
  if (!parts.ok) return parts.result;
  const payload = signedPayload(request.method ?? "POST", { body: request.rawBody, target: request.url, getSigning });
  if (typeof secrets === "string") {
    if (verifyHmacSync(secrets, parts.prefix, payload, receivedDigest) === true) return verified(0, parts);
  } else {
    for (let index = 0; index < secrets.length; index++) {
      if (verifyHmacSync(secrets[index]!, parts.prefix, payload, receivedDigest) === true) return verified(index, parts);
    }
  }
  return fail("signature_mismatch", "signature does not match the request body");
}

/**
 * `verifyWebhookSignature` on any runtime: node:crypto where it exists, else Web Crypto, whose
 * `verify` compares in constant time. Never rejects.
 *
 * @example
 * const result = await verifyWebhookSignatureAsync({ secrets, headers: request.headers, rawBody: new Uint8Array(await request.arrayBuffer()) });
 */
export async function verifyWebhookSignatureAsync(options: VerifyWebhookSignatureOptions): Promise<VerifyResult> {
  const nowMs = checkOptions(options);
  if (typeof nowMs !== "number") return nowMs;
  if (nodeCrypto !== undefined) return verifyWebhookSignature(options);
  const { getSigning = "empty-body", toleranceSeconds = DEFAULT_TOLERANCE_SECONDS } = options;
  return verifySignatureWeb(secretsOf(options) as string | readonly string[], options, getSigning, toleranceSeconds, nowMs);
}

/** `verifySignatureSync` on Web Crypto, for runtimes without node:crypto. */
export async function verifySignatureWeb(
  secrets: string | readonly string[],
  request: SignatureInput,
  getSigning: GetSigningMode,
  toleranceSeconds: number,
  nowMs: number,
): Promise<SignatureCheck> {
  // Its own buffer: other verifications run while this one awaits.
  const digest = new Uint8Array(32);
  const parts = readSignedParts(request.headers, toleranceSeconds, nowMs, digest);
  if (!parts.ok) return parts.result;
  const payload = signedPayload(request.method ?? "POST", { body: request.rawBody, target: request.url, getSigning });
  const list = typeof secrets === "string" ? [secrets] : secrets;
  for (let index = 0; index < list.length; index++) {
    if (await verifyWeb(list[index]!, parts.prefix, payload, digest)) return verified(index, parts);
  }
  return fail("signature_mismatch", "signature does not match the request body");
}

function verified(secretIndex: number, parts: { timestamp: number; hex: string }): SignatureCheck {
  return { ok: true, secretIndex, timestamp: parts.timestamp, signature: parts.hex };
}

/** The secrets option under either of its names (`secrets`, or the router's `secret`). */
function secretsOf(options: VerifyWebhookSignatureOptions): string | readonly string[] | undefined {
  return options.secrets === undefined && "secret" in options ? options.secret : options.secrets;
}

/**
 * Every option checked on every call (they are plain values, so a changed one is never missed);
 * the current time in milliseconds, or the `invalid_options` / `parsed_body` result.
 */
function checkOptions(options: VerifyWebhookSignatureOptions): number | VerifyResult {
  if (options === null || typeof options !== "object") return usage("invalid_options", "verifyWebhookSignature takes one options object: { secrets, headers, rawBody }");
  const secrets = secretsOf(options);
  if (typeof secrets !== "string" || secrets.length === 0) {
    const rule = secretsRule(secrets, options.secrets === undefined && "secret" in options ? "secret" : "secrets");
    if (!rule.ok) return usage("invalid_options", rule.message);
  }
  const { rawBody } = options;
  if (typeof rawBody !== "string" && !(rawBody instanceof Uint8Array)) {
    if (rawBody !== null && typeof rawBody === "object") {
      return usage(
        "parsed_body",
        "rawBody was provided as a parsed object; the signature covers the raw bytes: pass the body exactly as received (a string or bytes), before any JSON parsing",
      );
    }
    return usage("invalid_options", `rawBody must be the body exactly as received, a string or bytes (empty for GET), got ${describe(rawBody)}`);
  }
  if (options.headers === null || typeof options.headers !== "object") return usage("invalid_options", `headers must be the request's headers, got ${describe(options.headers)}`);
  if (options.toleranceSeconds !== undefined) {
    const rule = positiveRule(options.toleranceSeconds, "toleranceSeconds", DEFAULT_TOLERANCE_SECONDS);
    if (!rule.ok) return usage("invalid_options", rule.message);
  }
  let nowMs: unknown;
  try {
    nowMs = typeof options.now === "function" ? options.now() : (options.now ?? Date.now());
  } catch (error) {
    return usage("invalid_options", `now() threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof nowMs !== "number" || !Number.isFinite(nowMs)) return usage("invalid_options", `now must be a finite number of milliseconds, got ${describe(nowMs)}`);
  if (options.getSigning !== undefined) {
    const rule = choiceRule(options.getSigning, "getSigning", ["empty-body", "path-and-query"]);
    if (!rule.ok) return usage("invalid_options", rule.message);
  }
  const method = options.method ?? "POST";
  if (typeof method !== "string") return usage("invalid_options", `method must be a string, got ${describe(method)}`);
  if (options.getSigning === "path-and-query" && method.toUpperCase() === "GET" && (typeof options.url !== "string" || !isTarget(options.url))) {
    return usage("invalid_options", 'getSigning "path-and-query" needs url: the request target (/path?query) or an absolute URL');
  }
  return nowMs;
}

function usage(code: VerifyUsageErrorCode, message: string): VerifyResult {
  return { ok: false, code, message };
}

/**
 * The signature and timestamp headers, checked in this order: present, well-formed, inside the
 * window. The received digest is decoded into `digest`.
 */
function readSignedParts(headers: HeaderSource, toleranceSeconds: number, nowMs: number, digest: Uint8Array): SignedParts {
  const signatureHeader = readHeader(headers, SIGNATURE_HEADER);
  const timestampHeader = readHeader(headers, TIMESTAMP_HEADER);
  if (signatureHeader === undefined) return { ok: false, result: fail("missing_signature", "X-VIZOCHOK-Signature header is missing") };
  if (timestampHeader === undefined) return { ok: false, result: fail("missing_timestamp", "X-VIZOCHOK-Timestamp header is missing") };
  const upperCase =
    signatureHeader !== null && signatureHeader.length === SIGNATURE_LENGTH && signatureHeader.startsWith(SIGNATURE_PREFIX)
      ? decodeHex(signatureHeader, SIGNATURE_PREFIX.length, digest)
      : undefined;
  if (signatureHeader === null || upperCase === undefined) {
    return { ok: false, result: fail("malformed_signature", 'X-VIZOCHOK-Signature must be "sha256=" followed by 64 hex digits') };
  }
  const timestamp = timestampHeader === null ? -1 : unixSeconds(timestampHeader);
  if (timestamp < 0) return { ok: false, result: fail("malformed_timestamp", "X-VIZOCHOK-Timestamp must be unix seconds") };
  const now = Math.floor(nowMs / 1000);
  if (now - timestamp > toleranceSeconds) return { ok: false, result: fail("timestamp_too_old", `timestamp is more than ${toleranceSeconds} s in the past`) };
  if (timestamp - now > toleranceSeconds) return { ok: false, result: fail("timestamp_too_new", `timestamp is more than ${toleranceSeconds} s in the future`) };
  const hex = signatureHeader.slice(SIGNATURE_PREFIX.length);
  return { ok: true, timestamp, prefix: `${timestampHeader}.`, hex: upperCase ? hex.toLowerCase() : hex };
}

/** The value of 1 to 15 decimal digits (exact: below 2^53), or -1 for any other text. */
function unixSeconds(text: string): number {
  if (text.length === 0 || text.length > 15) return -1;
  let value = 0;
  for (let index = 0; index < text.length; index++) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** A request target `signedPayload` can read: `/path?query`, or an absolute URL. */
export function isTarget(url: string): boolean {
  return url.startsWith("/") || URL.canParse(url);
}

function fail(code: SignatureErrorCode, message: string): SignatureCheck {
  return { ok: false, code, message };
}

function signedPayload(
  method: string,
  parts: { body: string | Uint8Array | undefined; target: string | undefined; getSigning: GetSigningMode },
): Uint8Array | string {
  if (parts.getSigning === "path-and-query" && method.toUpperCase() === "GET") {
    if (parts.target === undefined) throw new TypeError('getSigning "path-and-query" needs the request url');
    return pathAndQuery(parts.target);
  }
  return parts.body ?? "";
}

/** `/path?query` exactly as sent; an absolute URL is reduced to its path and query. */
function pathAndQuery(target: string): string {
  if (target.startsWith("/")) return target;
  const url = new URL(target);
  return url.pathname + url.search;
}


/**
 * `undefined` when absent, `null` when repeated (ambiguous, so treated as malformed), else the
 * value. Node and the Fetch API join repeated headers with ", ", which the patterns reject too.
 */
export function readHeader(headers: HeaderSource, name: string): string | null | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    const value = (headers as { get(name: string): string | null }).get(name);
    return value === null ? undefined : value.trim();
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (sameName(key, name)) {
        value = record[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length === 1 ? value[0]!.trim() : null;
  return value.trim();
}

/**
 * `key.toLowerCase() === name` for a lower-case ASCII `name`, without a new string per key: ASCII
 * letters are folded in place, and a key with any other character is left to `toLowerCase`
 * (Unicode maps a few, such as the Kelvin sign, onto ASCII letters). Lengths must agree: the one
 * character whose lower case is longer (U+0130) yields a non-ASCII one, so never an ASCII name.
 */
function sameName(key: string, name: string): boolean {
  if (key.length !== name.length) return false;
  // From the end: x-vizochok-signature and x-vizochok-timestamp differ there.
  for (let index = key.length - 1; index >= 0; index--) {
    let code = key.charCodeAt(index);
    if (code >= 128) return key.toLowerCase() === name;
    if (code >= 65 && code <= 90) code += 32;
    if (code !== name.charCodeAt(index)) return false;
  }
  return true;
}
