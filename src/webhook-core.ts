import { createDispatcher } from "./core/dispatch.js";
import { createReplayStage } from "./core/replay.js";
import { errorResponse, payloadTooLarge, type CoreResponse } from "./core/responses.js";
import { createRouter, DEFAULT_PATHS, type RouteMatch, type WebhookPaths } from "./core/routing.js";
import { serializeError } from "./core/serialize-error.js";
import { normalizeKitOptions, type WebhookKitOptions } from "./core/options.js";
import { createVerifier, type Verification } from "./core/verification.js";
import type { WebhookErrorCode } from "./errors.js";
import type { WebhookKind } from "./handlers.js";
import { levelCheckOf, type WebhookLogger } from "./logger.js";
import type { HeaderSource } from "./signature.js";

export { DEFAULT_PATHS, type CoreResponse, type RouteMatch, type WebhookKitOptions, type WebhookPaths };

/** A request as every adapter hands it to the core. */
export interface CoreRequest {
  method: string;
  /** Path relative to where the webhooks are mounted. */
  path: string;
  /** Path and query exactly as received by the server (used by strict GET signing). */
  target: string;
  query: URLSearchParams;
  headers: HeaderSource;
  rawBody: Uint8Array;
  /** Epoch ms when the request arrived; the budget counts from here. */
  receivedAt?: number;
}

export interface WebhookCore {
  readonly paths: WebhookPaths;
  readonly bodyLimit: number;
  /** Where the adapters report failures of their own. */
  readonly logger: WebhookLogger;
  /** The core's clock (injectable through `options.now`), for adapters to stamp arrival. */
  now(): number;
  /** Routing, method, content type and declared length: everything decidable before the body. */
  match(method: string, path: string, headers: HeaderSource): RouteMatch;
  /** The answer; synchronous when verification and the handler are (node:crypto, a sync handler). */
  handle(kind: WebhookKind, request: CoreRequest): CoreResponse | Promise<CoreResponse>;
  errorResponse(code: WebhookErrorCode, message: string, headers?: Record<string, string>): CoreResponse;
  /** The 413 answer; it closes the connection rather than reading the rest of the body. */
  payloadTooLarge(): CoreResponse;
}

/**
 * Builds the framework-agnostic core out of its stages: routing (`match`), then for each request
 * verification → replay → dispatch → answer check, with one log line per answer.
 */
export function createWebhookCore(options: WebhookKitOptions): WebhookCore {
  const { secrets, handlers, paths, bodyLimit, toleranceSeconds, budgetMs, getSigning, replayGuard, identicalRequests, logger, now, generateRequestId } =
    normalizeKitOptions(options);
  const match = createRouter(paths, bodyLimit);
  const verify = createVerifier({ secrets, bodyLimit, toleranceSeconds, getSigning, now });
  const replay = createReplayStage({ guard: replayGuard, toleranceSeconds, identical: identicalRequests, now, logger });
  const dispatch = createDispatcher({ handlers, budgetMs, now, logger });
  const levelEnabled = levelCheckOf(logger);

  function handle(kind: WebhookKind, request: CoreRequest): CoreResponse | Promise<CoreResponse> {
    const receivedAt = request.receivedAt ?? now();
    const requestId = generateRequestId();
    let answered: CoreResponse | Promise<CoreResponse>;
    try {
      answered = answer(kind, request, receivedAt, requestId);
    } catch (error) {
      return finish(kind, requestId, receivedAt, failed(kind, requestId, error));
    }
    if (!(answered instanceof Promise)) return finish(kind, requestId, receivedAt, answered);
    return answered.then(
      (response) => finish(kind, requestId, receivedAt, response),
      (error: unknown) => finish(kind, requestId, receivedAt, failed(kind, requestId, error)),
    );
  }

  // A failing replay guard or logger: nothing was applied, so a 5xx (and VIZOCHOK's retry) is right.
  function failed(kind: WebhookKind, requestId: string, error: unknown): CoreResponse {
    logger.error({ requestId, kind, err: serializeError(error) }, "webhook could not be handled");
    return errorResponse("internal_error", "the webhook could not be handled; see the server log");
  }

  /** Stamps the request id on the answer and logs one line for it (built only if the logger keeps it). */
  function finish(kind: WebhookKind, requestId: string, receivedAt: number, response: CoreResponse): CoreResponse {
    response.headers["x-request-id"] = requestId;
    const code = response.error;
    const level = response.status >= 500 ? "error" : code !== undefined ? "warn" : "info";
    if (levelEnabled !== undefined && !levelEnabled(level)) return response;
    const fields = { requestId, kind, status: response.status, durationMs: now() - receivedAt };
    if (level === "error") logger.error({ ...fields, code }, "webhook failed");
    else if (level === "warn") logger.warn({ ...fields, code }, "webhook rejected");
    else logger.info(fields, "webhook answered");
    return response;
  }

  function answer(kind: WebhookKind, request: CoreRequest, receivedAt: number, requestId: string): CoreResponse | Promise<CoreResponse> {
    const verification = verify(request);
    return verification instanceof Promise ? verification.then((verified) => afterVerification(kind, request, receivedAt, requestId, verified)) : afterVerification(kind, request, receivedAt, requestId, verification);
  }

  function afterVerification(kind: WebhookKind, request: CoreRequest, receivedAt: number, requestId: string, verified: Verification): CoreResponse | Promise<CoreResponse> {
    if (!verified.ok) return verified.response;
    const deadline = receivedAt + budgetMs;
    const { secretIndex } = verified.delivery;
    // Products and cart GET change nothing: no replay stage (see createReplayStage).
    if (kind !== "cart") return dispatch({ kind, rawBody: request.rawBody, query: request.query, requestId, deadline, secretIndex, claim: undefined });
    // The configured path, so a copy sent with a trailing slash is still the same endpoint.
    return replay({ ...verified.delivery, kind, path: paths.cart, requestId, receivedAt, deadline }, (claim) =>
      dispatch({ kind, rawBody: request.rawBody, query: request.query, requestId, deadline, secretIndex, claim }),
    );
  }

  return {
    paths,
    bodyLimit,
    logger,
    now,
    match,
    handle,
    errorResponse,
    payloadTooLarge: () => payloadTooLarge(bodyLimit),
  };
}
