import { WebhookError, type WebhookErrorCode } from "../errors.js";

/** An answer as the core hands it to an adapter, ready to write. */
export interface CoreResponse {
  status: number;
  headers: Record<string, string>;
  /** The JSON text to send, serialized once (and stored as-is by the replay guard). */
  body: string;
  /** Set on error answers: the stable code in the body. */
  error?: WebhookErrorCode;
}

export const JSON_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

/**
 * A 200 with `text` as its JSON body. Its headers are a fresh copy of `JSON_HEADERS` (each
 * answer's headers are its own), written out: a literal is the cheapest copy.
 */
export function jsonResponse(text: string): CoreResponse {
  return { status: 200, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }, body: text };
}

/** The answer for a failure: its status from the one table, `{ error, message }` as the body. */
export function errorResponse(code: WebhookErrorCode, message: string, extra?: Record<string, string>): CoreResponse {
  const error = new WebhookError(code, message);
  return { status: error.status, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(error.toBody()), error: code };
}

/** The 413 answer; it closes the connection rather than reading the rest of the body. */
export function payloadTooLarge(bodyLimit: number): CoreResponse {
  return errorResponse("payload_too_large", `body is larger than ${bodyLimit} bytes`, { connection: "close" });
}
