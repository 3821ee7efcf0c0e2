import { nodeCrypto } from "../crypto.js";
import { describe } from "./option-rules.js";
import { isTarget, verifySignatureSync, verifySignatureWeb, type GetSigningMode, type HeaderSource, type SignatureCheck, type SignatureInput } from "../signature.js";
import { errorResponse, payloadTooLarge, type CoreResponse } from "./responses.js";

export interface VerificationOptions {
  secrets: readonly string[];
  bodyLimit: number;
  toleranceSeconds: number;
  getSigning: GetSigningMode;
  now: () => number;
}

/** What verification needs of a request. */
export interface SignedRequest {
  method: string;
  target: string;
  headers: HeaderSource;
  rawBody: Uint8Array;
}

/** A delivery whose signature checked out: who signed it and when. */
export interface VerifiedDelivery {
  secretIndex: number;
  /** Unix seconds from the timestamp header. */
  timestamp: number;
  /** The signature's hex digest, lower case. */
  signature: string;
}

export type Verification = { ok: true; delivery: VerifiedDelivery } | { ok: false; response: CoreResponse };

/**
 * Verification: the body within its limit, then the signature over the raw bytes inside the
 * window. The options were checked at setup, so a request runs only the checks of the request
 * itself. Synchronous where node:crypto exists; on Web Crypto (no node:crypto) it answers a promise.
 */
export function createVerifier(options: VerificationOptions): (request: SignedRequest) => Verification | Promise<Verification> {
  const { secrets, bodyLimit, toleranceSeconds, getSigning, now } = options;
  const verifySignature = nodeCrypto === undefined ? verifySignatureWeb : verifySignatureSync;
  return function verify(request) {
    if (request.rawBody.byteLength > bodyLimit) return { ok: false, response: payloadTooLarge(bodyLimit) };
    const nowMs = now();
    const problem = inputProblem(request, getSigning, nowMs);
    if (problem !== undefined) return { ok: false, response: errorResponse("internal_error", problem) };
    const verified = verifySignature(secrets, signatureInput(request), getSigning, toleranceSeconds, nowMs);
    return verified instanceof Promise ? verified.then(toVerification) : toVerification(verified);
  };
}

/**
 * What the options checked at setup cannot vouch for: the clock's reading (a NaN would switch
 * the window off) and, for path-and-query GET signing, a request target the kit can read.
 */
function inputProblem(request: SignedRequest, getSigning: GetSigningMode, nowMs: number): string | undefined {
  if (!Number.isFinite(nowMs)) return `now must be a finite number of milliseconds, got ${describe(nowMs)}`;
  if (getSigning === "path-and-query" && request.method.toUpperCase() === "GET" && !isTarget(request.target)) {
    return 'getSigning "path-and-query" needs url: the request target (/path?query) or an absolute URL';
  }
  return undefined;
}

function signatureInput(request: SignedRequest): SignatureInput {
  return { headers: request.headers, rawBody: request.rawBody, method: request.method, url: request.target };
}

function toVerification(verified: SignatureCheck): Verification {
  if (!verified.ok) return { ok: false, response: errorResponse(verified.code, verified.message) };
  return { ok: true, delivery: { secretIndex: verified.secretIndex, timestamp: verified.timestamp, signature: verified.signature } };
}
