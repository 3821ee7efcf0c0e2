import { serializeError } from "../core/serialize-error.js";
import { DRAIN_LIMITS, type DrainLimits, type ReadBodyResult } from "../read-body.js";
import { readHeader, type HeaderSource } from "../signature.js";
import type { CoreResponse, WebhookCore } from "../webhook-core.js";

/** What an adapter knows how to do with its runtime's request; the pipeline does the rest. */
export interface WebhookAdapter<In, Rest extends unknown[], Out> {
  method(request: In): string;
  /** The path matched against the webhook paths (relative to where they are mounted). */
  path(request: In): string;
  /** Path and query exactly as received (strict GET signing covers it). */
  target(request: In): string;
  headers(request: In): HeaderSource;
  query(request: In): URLSearchParams;
  readBody(request: In, limit: number): Promise<ReadBodyResult>;
  /**
   * The request is answered without its body (or the rest of it): read and discard it within
   * `limits` so the client can read the answer; true when the body ended.
   */
  discardBody(request: In, limits: DrainLimits): Promise<boolean>;
  /** Sends the answer; `undefined` means no webhook lives at this path. */
  respond(answer: CoreResponse | undefined, request: In, ...rest: Rest): Out;
}

/**
 * The one request flow every adapter shares: match → reject → read → handle → respond. A failure
 * anywhere in it is logged and answered 500 in the contract's shape, so no request hangs.
 */
export function createPipeline<In, Rest extends unknown[], Out>(
  core: WebhookCore,
  adapter: WebhookAdapter<In, Rest, Out>,
): (request: In, ...rest: Rest) => Promise<Out> {
  async function answer(request: In): Promise<CoreResponse | undefined> {
    const receivedAt = core.now();
    const method = adapter.method(request);
    const path = adapter.path(request);
    const headers = adapter.headers(request);
    const matched = core.match(method, path, headers);
    if (matched.type === "unmatched") return undefined;
    if (matched.type === "rejected") return discardThen(request, headers, matched.response);
    let rawBody: Uint8Array = EMPTY;
    if (matched.readBody) {
      const read = await adapter.readBody(request, core.bodyLimit);
      if (!read.ok) return read.reason === "too_large" ? discardThen(request, headers, core.payloadTooLarge()) : unreadable(core, read.reason);
      rawBody = read.body;
    }
    return core.handle(matched.kind, {
      method,
      path,
      target: adapter.target(request),
      query: adapter.query(request),
      headers,
      rawBody,
      receivedAt,
    });
  }

  /**
   * Answers only once the unread body is gone, so a client that sends everything before reading
   * gets this answer rather than a reset; a body past the drain limits closes the connection.
   */
  async function discardThen(request: In, headers: HeaderSource, answer: CoreResponse): Promise<CoreResponse> {
    const declared = Number(readHeader(headers, "content-length") ?? 0);
    const ended = declared <= DRAIN_LIMITS.maxBytes && (await adapter.discardBody(request, DRAIN_LIMITS));
    return ended ? answer : { ...answer, headers: { ...answer.headers, connection: "close" } };
  }

  return async function webhookPipeline(request, ...rest) {
    try {
      return adapter.respond(await answer(request), request, ...rest);
    } catch (error) {
      // The core answers its own failures; this is the last line, so a request never hangs.
      core.logger.error({ err: serializeError(error) }, "webhook could not be handled");
      return adapter.respond(core.errorResponse("internal_error", "the webhook could not be handled"), request, ...rest);
    }
  };
}

function unreadable(core: WebhookCore, reason: Extract<ReadBodyResult, { ok: false }>["reason"]): CoreResponse {
  if (reason === "too_large") return core.payloadTooLarge();
  if (reason === "already_parsed") {
    return core.errorResponse(
      "body_already_parsed",
      "a body parser consumed the request before the VIZOCHOK router; mount the router before " +
        "express.json(), or use express.json({ verify: captureRawBody }) so the raw bytes are kept",
    );
  }
  return core.errorResponse("invalid_request", "the request body was not received completely");
}

const EMPTY = new Uint8Array(0);
