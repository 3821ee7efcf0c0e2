import { createHmac, timingSafeEqual } from "node:crypto";
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

export interface SignWebhookOptions {
  secret: string;
  /** The exact bytes that will be sent. Strings are encoded as UTF-8. Omit for GET. */
  body?: string | Uint8Array;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  method?: string;
  /** Request target (`/path?query`), needed only for `getSigning: "path-and-query"`. */
  url?: string;
  getSigning?: GetSigningMode;
}

export type SignedHeaders = {
  "X-VIZOCHOK-Signature": string;
  "X-VIZOCHOK-Timestamp": string;
};

/**
 * Signs a webhook exactly as VIZOCHOK does: HMAC-SHA256 over `"{timestamp}.{raw body}"`.
 *
 * @example
 * const body = JSON.stringify({ skus: ["milk-001"], store_id: "store-1" });
 * const headers = signWebhook({ secret, body });
 * await fetch(url, { method: "POST", body, headers: { ...headers, "content-type": "application/json" } });
 */
export function signWebhook(options: SignWebhookOptions): SignedHeaders {
  if (typeof options.secret !== "string" || options.secret.length === 0) {
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
  const digest = hmacHex(options.secret, String(timestamp), payload);
  return { "X-VIZOCHOK-Signature": `sha256=${digest}`, "X-VIZOCHOK-Timestamp": String(timestamp) };
}

export interface VerifyWebhookSignatureOptions {
  /** Accepted secrets, current first, then previous ones during a rotation. */
  secrets: string | readonly string[];
  headers: HeaderSource;
  /** The body exactly as received (empty for GET). */
  rawBody: Uint8Array | string;
  method?: string;
  /** Request target (`/path?query`), used only with `getSigning: "path-and-query"`. */
  url?: string;
  getSigning?: GetSigningMode;
  /** Current time in milliseconds; defaults to `Date.now()`. */
  now?: number;
  toleranceSeconds?: number;
}

export type VerifyResult =
  | { ok: true; secretIndex: number; timestamp: number; signature: string }
  | { ok: false; code: SignatureErrorCode; message: string };

const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,15}$/;

/**
 * Verifies VIZOCHOK's signature over the raw request bytes, in constant time, inside a two-sided
 * window. Never throws for bad input: every failure is a result with a stable code.
 */
export function verifyWebhookSignature(options: VerifyWebhookSignatureOptions): VerifyResult {
  const secrets = typeof options.secrets === "string" ? [options.secrets] : options.secrets;
  if (secrets.length === 0 || secrets.some((s) => typeof s !== "string" || s.length === 0)) {
    throw new TypeError("verifyWebhookSignature: secrets must be non-empty strings");
  }
  const signatureHeader = readHeader(options.headers, SIGNATURE_HEADER);
  const timestampHeader = readHeader(options.headers, TIMESTAMP_HEADER);
  if (signatureHeader === undefined) {
    return fail("missing_signature", "X-VIZOCHOK-Signature header is missing");
  }
  if (timestampHeader === undefined) {
    return fail("missing_timestamp", "X-VIZOCHOK-Timestamp header is missing");
  }
  const match = SIGNATURE_PATTERN.exec(signatureHeader ?? "");
  if (signatureHeader === null || match === null) {
    return fail("malformed_signature", 'X-VIZOCHOK-Signature must be "sha256=" followed by 64 hex digits');
  }
  if (timestampHeader === null || !TIMESTAMP_PATTERN.test(timestampHeader)) {
    return fail("malformed_timestamp", "X-VIZOCHOK-Timestamp must be unix seconds");
  }
  const timestamp = Number(timestampHeader);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (now - timestamp > tolerance) {
    return fail("timestamp_too_old", `timestamp is more than ${tolerance} s in the past`);
  }
  if (timestamp - now > tolerance) {
    return fail("timestamp_too_new", `timestamp is more than ${tolerance} s in the future`);
  }

  const received = Buffer.from(match[1]!, "hex");
  const payload = signedPayload(options.method ?? "POST", {
    body: options.rawBody,
    target: options.url,
    getSigning: options.getSigning ?? "empty-body",
  });
  for (let index = 0; index < secrets.length; index++) {
    const expected = createHmac("sha256", secrets[index]!).update(`${timestampHeader}.`).update(payload).digest();
    if (timingSafeEqual(expected, received)) {
      return { ok: true, secretIndex: index, timestamp, signature: match[1]!.toLowerCase() };
    }
  }
  return fail("signature_mismatch", "signature does not match the request body");
}

function fail(code: SignatureErrorCode, message: string): VerifyResult {
  return { ok: false, code, message };
}

function signedPayload(
  method: string,
  parts: { body: string | Uint8Array | undefined; target: string | undefined; getSigning: GetSigningMode },
): Uint8Array | string {
  if (method.toUpperCase() === "GET" && parts.getSigning === "path-and-query") {
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

function hmacHex(secret: string, timestamp: string, payload: Uint8Array | string): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(payload).digest("hex");
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
      if (key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length === 1 ? value[0]!.trim() : null;
  return value.trim();
}
