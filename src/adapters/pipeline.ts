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
 * anywhere in it is logged and answered 500 in the contract's shape, so no request hangs. Work
 * that can finish synchronously does (the handler's answer is written in the turn the body
 * arrives), so a request costs one promise for its body and one for its result.
 */
export function createPipeline<In, Rest extends unknown[], Out>(
  core: WebhookCore,
  adapter: WebhookAdapter<In, Rest, Out>,
): (request: In, ...rest: Rest) => Promise<Out> {
  function answer(request: In): CoreResponse | undefined | Promise<CoreResponse | undefined> {
    const receivedAt = core.now();
    const method = adapter.method(request);
    const path = adapter.path(request);
    const headers = adapter.headers(request);
    const matched = core.match(method, path, headers);
    if (matched.type === "unmatched") return undefined;
    if (matched.type === "rejected") return discardThen(request, headers, matched.response);
    const { kind } = matched;
    const handle = (rawBody: Uint8Array) =>
      // Only the cart GET reads its query; POSTs are signed over the body alone.
      core.handle(kind, { method, path, target: adapter.target(request), query: kind === "cart_get" ? adapter.query(request) : NO_QUERY, headers, rawBody, receivedAt });
    if (!matched.readBody) return handle(EMPTY);
    return adapter.readBody(request, core.bodyLimit).then((read) => {
      if (read.ok) return handle(read.body);
      return read.reason === "too_large" ? discardThen(request, headers, core.payloadTooLarge()) : unreadable(core, read.reason);
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

  function respond(answered: CoreResponse | undefined, request: In, rest: Rest): Out {
    try {
      return adapter.respond(answered, request, ...rest);
    } catch (error) {
      return lastResort(error, request, rest);
    }
  }

  // The core answers its own failures; this is the last line, so a request never hangs.
  function lastResort(error: unknown, request: In, rest: Rest): Out {
    core.logger.error({ err: serializeError(error) }, "webhook could not be handled");
    return adapter.respond(core.errorResponse("internal_error", "the webhook could not be handled"), request, ...rest);
  }

  return function webhookPipeline(request, ...rest) {
    try {
      const answered = answer(request);
      if (!(answered instanceof Promise)) return Promise.resolve(respond(answered, request, rest));
      return answered.then(
        (settled) => respond(settled, request, rest),
        (error: unknown) => lastResort(error, request, rest),
      );
    } catch (error) {
      return Promise.resolve(lastResort(error, request, rest));
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
/** What a POST's query is to the core: never read (verification and dispatch use the body). */
const NO_QUERY = new URLSearchParams();
