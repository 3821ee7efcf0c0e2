/**
 * Every failure the kit answers with has one stable snake_case code, and each code has exactly
 * one HTTP status. Business rejections (`{ ok: false, reason }`) are answers, not errors.
 */
export const WEBHOOK_ERROR_STATUS = {
  missing_signature: 401,
  missing_timestamp: 401,
  malformed_signature: 401,
  malformed_timestamp: 401,
  timestamp_too_old: 401,
  timestamp_too_new: 401,
  signature_mismatch: 401,
  replayed: 401,
  invalid_json: 400,
  invalid_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  duplicate_delivery: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  body_already_parsed: 500,
  handler_failed: 500,
  invalid_handler_answer: 500,
  internal_error: 500,
  handler_timeout: 503,
  request_in_flight: 503,
} as const;

export type WebhookErrorCode = keyof typeof WEBHOOK_ERROR_STATUS;

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
  error: WebhookErrorCode;
  message: string;
}

export class WebhookError extends Error {
  readonly code: WebhookErrorCode;
  readonly status: number;

  constructor(code: WebhookErrorCode, message: string) {
    super(message);
    this.name = "WebhookError";
    this.code = code;
    this.status = WEBHOOK_ERROR_STATUS[code];
  }

  toBody(): WebhookErrorBody {
    return { error: this.code, message: this.message };
  }
}
