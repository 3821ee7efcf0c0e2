// Every error code a shopper can meet — server `error` frames and the SDK's client-side codes —
// as a sentence a person can act on.

const MESSAGES = {
  // Server `error` frames.
  message_too_large: (e) => `That message is too long (the limit is ${formatBytes(e.max_size)}). Please shorten it.`,
  rate_limit_exceeded: (e) =>
    `You're sending messages too quickly. Please wait ${e.retry_after ?? "a few"} s and try again.`,
  user_message_limit: (e) => `You've reached today's limit of ${e.limit ?? "your"} messages. Please come back tomorrow.`,
  user_conversation_limit: (e) =>
    `You've started ${e.limit ?? "the maximum number of"} conversations today. Please continue an existing one or come back tomorrow.`,
  agent_busy: () => "The assistant is still answering your previous message. Please wait for it to finish.",
  internal_error: () => "The assistant ran into a problem and couldn't finish. Please try again.",
  invalid_json: () => "The assistant couldn't read that request. Please try again.",
  no_catalog_data: () => "This store's catalog isn't available to the assistant yet.",
  session_token_limit: () => "This conversation has grown too long. Please start a new one.",
  max_rounds_exceeded: () => "The assistant couldn't finish this request in time. Please rephrase it.",
  tenant_daily_token_limit: () => "The assistant is unavailable for the rest of the day. Please shop from the catalog.",
  tenant_monthly_token_limit: () => "The assistant is unavailable for the rest of the month. Please shop from the catalog.",
  webhook_timeout: () => "The store didn't answer in time, so the cart wasn't changed.",
  webhook_error: () => "The store couldn't process that, so the cart wasn't changed.",
  // Client-side (SDK) codes.
  auth_error: (e) =>
    `The assistant refused this page's key or store${e.close_code ? ` (close ${e.close_code})` : ""}. Check the demo key and store id.`,
  auth_timeout: () => "The connection wasn't authenticated in time. Reload the page to try again.",
  ws_error: () => "The connection to the assistant failed.",
  queue_full: () => "Too many requests are waiting to be sent. Please wait for the assistant to catch up.",
  max_reconnect: () => "Couldn't reconnect to the assistant after many attempts. Reload the page to try again.",
  connection_lost: () => "Connection to the assistant lost. Reconnecting…",
};

/** All codes this page explains. */
export const KNOWN_ERROR_CODES = Object.freeze(Object.keys(MESSAGES));

/**
 * The readable message for an error frame or client error.
 * @example describeError({ code: "rate_limit_exceeded", retry_after: 12 })
 */
export function describeError(error) {
  const describe = MESSAGES[error.code];
  if (describe) return describe(error);
  return error.message ? String(error.message) : `Something went wrong (${error.code}).`;
}

function formatBytes(bytes) {
  if (typeof bytes !== "number") return "64 KB";
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
}
