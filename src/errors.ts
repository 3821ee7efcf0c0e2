/**
 * Every failure the kit answers with has one stable snake_case code, and each code has exactly
 * one HTTP status. Business rejections (`{ ok: false, reason }`) are answers, not errors.
 */
export const WEBHOOK_ERROR_STATUS = {
  /** 401: the `X-VIZOCHOK-Signature` header is absent. */
  missing_signature: 401,
  /** 401: the `X-VIZOCHOK-Timestamp` header is absent. */
  missing_timestamp: 401,
  /** 401: the signature is not `sha256=` and 64 hex digits, or the header was sent twice. */
  malformed_signature: 401,
  /** 401: the timestamp is not unix seconds, or the header was sent twice. */
  malformed_timestamp: 401,
  /** 401: the timestamp is more than `toleranceSeconds` behind the server's clock. */
  timestamp_too_old: 401,
  /** 401: the timestamp is more than `toleranceSeconds` ahead of the server's clock. */
  timestamp_too_new: 401,
  /** 401: no configured secret produces this signature over these bytes. */
  signature_mismatch: 401,
  /** 401: the signature was already used for another endpoint. */
  replayed: 401,
  /** 400: a products body that is not JSON (or not UTF-8). */
  invalid_json: 400,
  /** 400: a products body or cart GET query that breaks the contract; the message names the field. */
  invalid_request: 400,
  /** 404: no handler for this webhook or cart action (node and fetch adapters: no webhook at the path). */
  not_found: 404,
  /** 405: the path is a webhook's, the method is not; the `Allow` header names the right one. */
  method_not_allowed: 405,
  /** 409: with `identicalRequests: "refuse"`, a byte-identical cart POST less than 1 s after the first; nothing applied. */
  duplicate_delivery: 409,
  /** 413: the body is larger than `bodyLimit`, declared or streamed. */
  payload_too_large: 413,
  /** 415: a POST whose `Content-Type` is not `application/json`. */
  unsupported_media_type: 415,
  /** 500: a body parser consumed the request before the kit saw its raw bytes (mount order, or `captureRawBody`). */
  body_already_parsed: 500,
  /** 500: the handler threw or rejected; the error is in the log only. */
  handler_failed: 500,
  /** 500: the handler's answer breaks the contract; the zod issues are in the log. */
  invalid_handler_answer: 500,
  /** 500: the kit could not handle the request (a shared replay guard is down, say); nothing was applied. */
  internal_error: 500,
  /** 503: the handler did not answer within `budgetMs`; its `signal` was aborted. */
  handler_timeout: 503,
  /** 503: an identical delivery is still being handled and did not finish within the budget. */
  request_in_flight: 503,
} as const;

/** Every failure the kit answers with, as the stable `error` field of the body. */
export type WebhookErrorCode = keyof typeof WEBHOOK_ERROR_STATUS;

/** The codes `verifyWebhookSignature` answers for a request whose signature does not check out. */
export type SignatureErrorCode = Extract<
  WebhookErrorCode,
  | "missing_signature"
  | "missing_timestamp"
  | "malformed_signature"
  | "malformed_timestamp"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "signature_mismatch"
>;

/** The body of every error the kit sends: `{ "error": code, "message": text }`. */
export interface WebhookErrorBody {
  /** The stable code, one of `WebhookErrorCode`: branch on this. */
  error: WebhookErrorCode;
  /** A short English explanation for a person reading a log; its wording may change. */
  message: string;
}

/**
 * A failure the kit answers with: a stable snake_case `code` and the one HTTP `status` that code
 * always has (`WEBHOOK_ERROR_STATUS`). Its `toBody()` is what goes on the wire.
 *
 * @example
 * const error = new WebhookError("payload_too_large", "body is larger than 65536 bytes");
 * res.status(error.status).json(error.toBody()); // 413 { error: "payload_too_large", message: "…" }
 */
export class WebhookError extends Error {
  /** The stable machine-readable code, as in the answer's `error` field. */
  readonly code: WebhookErrorCode;
  /** The HTTP status the code maps to, from `WEBHOOK_ERROR_STATUS`. */
  readonly status: number;

  /**
   * @param code - the failure, one of `WebhookErrorCode`; it fixes the status
   * @param message - a short explanation for the body and the log (never a secret)
   */
  constructor(code: WebhookErrorCode, message: string) {
    super(message);
    this.name = "WebhookError";
    this.code = code;
    this.status = WEBHOOK_ERROR_STATUS[code];
  }

  /** The answer's body: `{ error: code, message }`. */
  toBody(): WebhookErrorBody {
    return { error: this.code, message: this.message };
  }
}
