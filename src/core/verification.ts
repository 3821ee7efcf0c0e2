import { nodeCrypto } from "../crypto.js";
import { verifyWebhookSignature, verifyWebhookSignatureAsync, type GetSigningMode, type HeaderSource, type VerifyResult } from "../signature.js";
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
 * window. Synchronous where node:crypto exists; on Web Crypto (no node:crypto) it answers a promise.
 */
export function createVerifier(options: VerificationOptions): (request: SignedRequest) => Verification | Promise<Verification> {
  const { secrets, bodyLimit, toleranceSeconds, getSigning, now } = options;
  const verifySignature = nodeCrypto === undefined ? verifyWebhookSignatureAsync : verifyWebhookSignature;
  return function verify(request) {
    if (request.rawBody.byteLength > bodyLimit) return { ok: false, response: payloadTooLarge(bodyLimit) };
    const verified = verifySignature({
      secrets,
      headers: request.headers,
      rawBody: request.rawBody,
      method: request.method,
      url: request.target,
      getSigning,
      now: now(),
      toleranceSeconds,
    });
    return verified instanceof Promise ? verified.then(toVerification) : toVerification(verified);
  };
}

function toVerification(verified: VerifyResult): Verification {
  if (!verified.ok) {
    // The core checked its options at setup, so only a request's own failures reach here.
    if (verified.code === "invalid_options" || verified.code === "parsed_body") return { ok: false, response: errorResponse("internal_error", verified.message) };
    return { ok: false, response: errorResponse(verified.code, verified.message) };
  }
  return { ok: true, delivery: { secretIndex: verified.secretIndex, timestamp: verified.timestamp, signature: verified.signature } };
}
