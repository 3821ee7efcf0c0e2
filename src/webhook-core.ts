import { randomId } from "./crypto.js";
import { createDispatcher } from "./core/dispatch.js";
import { createReplayStage } from "./core/replay.js";
import { errorResponse, payloadTooLarge, type CoreResponse } from "./core/responses.js";
import { createRouter, DEFAULT_PATHS, type RouteMatch, type WebhookPaths } from "./core/routing.js";
import { serializeError } from "./core/serialize-error.js";
import { createVerifier, type Verification } from "./core/verification.js";
import type { WebhookErrorCode } from "./errors.js";
import type { WebhookHandlers, WebhookKind } from "./handlers.js";
import { consoleLogger, type WebhookLogger } from "./logger.js";
import { createMemoryReplayGuard, type IdenticalRequestPolicy, type ReplayGuard } from "./replay-guard.js";
import { DEFAULT_TOLERANCE_SECONDS, type GetSigningMode, type HeaderSource } from "./signature.js";

export { DEFAULT_PATHS, type CoreResponse, type RouteMatch, type WebhookPaths };

export interface WebhookKitOptions {
  /** The webhook secret, or several during a rotation (current first). */
  secret: string | readonly string[];
  handlers: WebhookHandlers;
  paths?: Partial<WebhookPaths>;
  /** Largest accepted body in bytes. Default 64 KiB (a products request for 500 SKUs fits). */
  bodyLimit?: number;
  /** Accepted clock difference in seconds, both ways. Default 300. */
  toleranceSeconds?: number;
  /** Time a handler has before the kit answers 503. Default 4,500 ms of VIZOCHOK's 5 s. */
  budgetMs?: number;
  getSigning?: GetSigningMode;
  /** Where POST deliveries are remembered; `false` turns the guard off. Default: in memory. */
  replayGuard?: ReplayGuard | false;
  /**
   * A byte-identical cart POST that arrives after the first was answered and less than 1 s after
   * it arrived is a new request (a shopper adding the same product again): `"apply"` runs it,
   * `"refuse"` answers `409 duplicate_delivery`. Default `"apply"`.
   */
  identicalRequests?: IdenticalRequestPolicy;
  logger?: WebhookLogger;
  now?: () => number;
  generateRequestId?: () => string;
}

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
  handle(kind: WebhookKind, request: CoreRequest): Promise<CoreResponse>;
  errorResponse(code: WebhookErrorCode, message: string, headers?: Record<string, string>): CoreResponse;
  /** The 413 answer; it closes the connection rather than reading the rest of the body. */
  payloadTooLarge(): CoreResponse;
}

/**
 * Builds the framework-agnostic core out of its stages: routing (`match`), then for each request
 * verification → replay → dispatch → answer check, with one log line per answer.
 */
export function createWebhookCore(options: WebhookKitOptions): WebhookCore {
  const secrets = typeof options.secret === "string" ? [options.secret] : [...options.secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== "string" || s.length === 0)) {
    throw new TypeError("vizochok-merchant-kit: `secret` must be a non-empty string or a list of them");
  }
  if (typeof options.handlers?.products !== "function") {
    throw new TypeError("vizochok-merchant-kit: `handlers.products` is required");
  }
  const paths: WebhookPaths = { ...DEFAULT_PATHS, ...options.paths };
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const budgetMs = options.budgetMs ?? 4_500;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? consoleLogger;
  const newRequestId = options.generateRequestId ?? randomId;
  const guard = options.replayGuard === false ? undefined : (options.replayGuard ?? createMemoryReplayGuard({ now }));

  const match = createRouter(paths, bodyLimit);
  const verify = createVerifier({ secrets, bodyLimit, toleranceSeconds, getSigning: options.getSigning ?? "empty-body", now });
  const identical = options.identicalRequests ?? "apply";
  if (identical !== "apply" && identical !== "refuse") {
    throw new TypeError('vizochok-merchant-kit: `identicalRequests` must be "apply" or "refuse"');
  }
  const replay = createReplayStage({ guard, toleranceSeconds, identical, now, logger });
  const dispatch = createDispatcher({ handlers: options.handlers, budgetMs, now, logger });

  async function handle(kind: WebhookKind, request: CoreRequest): Promise<CoreResponse> {
    const receivedAt = request.receivedAt ?? now();
    const requestId = newRequestId();
    let response: CoreResponse;
    try {
      response = await answer(kind, request, receivedAt, requestId);
    } catch (error) {
      // A failing replay guard or logger: nothing was applied, so a 5xx (and VIZOCHOK's retry) is right.
      logger.error({ requestId, kind, err: serializeError(error) }, "webhook could not be handled");
      response = errorResponse("internal_error", "the webhook could not be handled; see the server log");
    }
    response.headers["x-request-id"] = requestId;
    const fields = { requestId, kind, status: response.status, durationMs: now() - receivedAt };
    const code = response.error;
    if (response.status >= 500) logger.error({ ...fields, code }, "webhook failed");
    else if (code !== undefined) logger.warn({ ...fields, code }, "webhook rejected");
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
    // The configured path, so a copy sent with a trailing slash is still the same endpoint.
    const path = kind === "cart" ? paths.cart : request.path;
    return replay({ ...verified.delivery, kind, path, requestId, receivedAt, deadline }, (claim) =>
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
