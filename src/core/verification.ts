import { verifyWebhookSignature, type GetSigningMode, type HeaderSource } from "../signature.js";
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

/** Verification: the body within its limit, then the signature over the raw bytes inside the window. */
export function createVerifier(options: VerificationOptions): (request: SignedRequest) => Verification {
  const { secrets, bodyLimit, toleranceSeconds, getSigning, now } = options;
  return function verify(request) {
    if (request.rawBody.byteLength > bodyLimit) return { ok: false, response: payloadTooLarge(bodyLimit) };
    const verified = verifyWebhookSignature({
      secrets,
      headers: request.headers,
      rawBody: request.rawBody,
      method: request.method,
      url: request.target,
      getSigning,
      now: now(),
      toleranceSeconds,
    });
    if (!verified.ok) return { ok: false, response: errorResponse(verified.code, verified.message) };
    return { ok: true, delivery: { secretIndex: verified.secretIndex, timestamp: verified.timestamp, signature: verified.signature } };
  };
}
