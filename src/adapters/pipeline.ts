import { serializeError } from "../core/serialize-error.js";
import type { WebhookKind } from "../handlers.js";
import { DRAIN_LIMITS, type BodyFailure, type BodyReceiver, type DrainLimits } from "../read-body.js";
import { readHeader, type HeaderSource } from "../signature.js";
import type { CoreResponse, WebhookCore } from "../webhook-core.js";

/**
 * What an adapter knows how to do with its runtime's request; the pipeline does the rest.
 * `Res` and `Next` are what the runtime hands a handler besides the request (node:http's
 * response, Express's `next`); an adapter without them leaves them `undefined`.
 */
export interface WebhookAdapter<In, Res, Next, Out> {
  method(request: In): string;
  /** The path matched against the webhook paths (relative to where they are mounted). */
  path(request: In): string;
  /** Path and query exactly as received (strict GET signing covers it). */
  target(request: In): string;
  headers(request: In): HeaderSource;
  query(request: In): URLSearchParams;
  /** Reads the body within `limit` bytes and hands it, or why it could not be read, to `receiver`. */
  readBody(request: In, limit: number, receiver: BodyReceiver): void;
  /**
   * The request is answered without its body (or the rest of it): read and discard it within
   * `limits` so the client can read the answer; true when the body ended.
   */
  discardBody(request: In, limits: DrainLimits): Promise<boolean>;
  /** Sends the answer; `undefined` means no webhook lives at this path. */
  respond(answer: CoreResponse | undefined, request: In, response: Res, next: Next): Out;
  /**
   * False when the runtime ignores what the handler returns (Express middleware): a request whose
   * body is read then costs no promise, and the pipeline returns `undefined` for it.
   */
  awaited?: boolean;
}

/** Answers one request: at once when it can, else a promise of the adapter's result. */
export type Pipeline<In, Res, Next, Out> = (request: In, response: Res, next: Next) => Out | Promise<Out>;

/**
 * The one request flow every adapter shares: match → reject → read → handle → respond. A failure
 * anywhere in it is logged and answered 500 in the contract's shape, so no request hangs. Work
 * that can finish synchronously does: the handler's answer is written in the turn the body
 * arrives, and a request whose caller awaits the result costs one promise while its body is read.
 */
export function createPipeline<In, Res, Next, Out>(core: WebhookCore, adapter: WebhookAdapter<In, Res, Next, Out>): Pipeline<In, Res, Next, Out> {
  /** A request whose body is on its way: what its answer needs once the body is in. */
  class AwaitingBody implements BodyReceiver {
    // Set by the promise executor before the body can arrive, when the adapter's caller awaits one.
    resolve: ((out: Out | PromiseLike<Out>) => void) | undefined = undefined;
    reject: ((error: unknown) => void) | undefined = undefined;
    constructor(
      readonly request: In,
      readonly response: Res,
      readonly next: Next,
      readonly kind: WebhookKind,
      readonly method: string,
      readonly path: string,
      readonly headers: HeaderSource,
      readonly receivedAt: number,
    ) {}

    received(body: Uint8Array): void {
      try {
        const out = conclude(handle(this, body), this.request, this.response, this.next);
        this.resolve?.(out);
      } catch (error) {
        this.crashed(error);
      }
    }

    failed(reason: BodyFailure): void {
      try {
        const answered = reason === "too_large" ? discardThen(this.request, this.headers, core.payloadTooLarge()) : unreadable(core, reason);
        const out = conclude(answered, this.request, this.response, this.next);
        this.resolve?.(out);
      } catch (error) {
        this.crashed(error);
      }
    }

    crashed(error: unknown): void {
      try {
        const out = lastResort(error, this.request, this.response, this.next);
        this.resolve?.(out);
      } catch (again) {
        // Not even the 500 could be sent: nothing is left to answer with.
        if (this.reject !== undefined) this.reject(again);
        else core.logger.error({ err: serializeError(again) }, "webhook could not be answered");
      }
    }
  }

  /**
   * The request whose promise is being made: the executor runs within `new Promise`, so one
   * function serves every request instead of a closure per request.
   */
  let settling: AwaitingBody | undefined;
  function settleWaiting(resolve: (out: Out | PromiseLike<Out>) => void, reject: (error: unknown) => void): void {
    settling!.resolve = resolve;
    settling!.reject = reject;
    settling = undefined;
  }

  function handle(waiting: AwaitingBody, rawBody: Uint8Array): CoreResponse | Promise<CoreResponse> {
    const { kind, request } = waiting;
    return core.handle(kind, {
      method: waiting.method,
      path: waiting.path,
      target: adapter.target(request),
      // Only the cart GET reads its query; POSTs are signed over the body alone.
      query: kind === "cart_get" ? adapter.query(request) : NO_QUERY,
      headers: waiting.headers,
      rawBody,
      receivedAt: waiting.receivedAt,
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

  /** Responds with an answer that may still be on its way. */
  function conclude(answered: CoreResponse | Promise<CoreResponse>, request: In, response: Res, next: Next): Out | Promise<Out> {
    if (!(answered instanceof Promise)) return respond(answered, request, response, next);
    return answered.then(
      (settled) => respond(settled, request, response, next),
      (error: unknown) => lastResort(error, request, response, next),
    );
  }

  function respond(answered: CoreResponse | undefined, request: In, response: Res, next: Next): Out {
    try {
      return adapter.respond(answered, request, response, next);
    } catch (error) {
      return lastResort(error, request, response, next);
    }
  }

  // The core answers its own failures; this is the last line, so a request never hangs.
  function lastResort(error: unknown, request: In, response: Res, next: Next): Out {
    core.logger.error({ err: serializeError(error) }, "webhook could not be handled");
    return adapter.respond(core.errorResponse("internal_error", "the webhook could not be handled"), request, response, next);
  }

  return function webhookPipeline(request, response, next) {
    try {
      const receivedAt = core.now();
      const method = adapter.method(request);
      const path = adapter.path(request);
      const headers = adapter.headers(request);
      const matched = core.match(method, path, headers);
      if (matched.type === "unmatched") return respond(undefined, request, response, next);
      if (matched.type === "rejected") return conclude(discardThen(request, headers, matched.response), request, response, next);
      const waiting = new AwaitingBody(request, response, next, matched.kind, method, path, headers, receivedAt);
      if (!matched.readBody) return conclude(handle(waiting, EMPTY), request, response, next);
      if (adapter.awaited === false) {
        adapter.readBody(request, core.bodyLimit, waiting);
        return undefined as Out; // what no caller reads (see `awaited`)
      }
      settling = waiting;
      const answered = new Promise<Out>(settleWaiting);
      adapter.readBody(request, core.bodyLimit, waiting);
      return answered;
    } catch (error) {
      return lastResort(error, request, response, next);
    }
  };
}

function unreadable(core: WebhookCore, reason: BodyFailure): CoreResponse {
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
