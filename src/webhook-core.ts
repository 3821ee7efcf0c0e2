import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { WebhookError, type WebhookErrorCode } from "./errors.js";
import type { WebhookContext, WebhookHandlers, WebhookKind } from "./handlers.js";
import { consoleLogger, redactSignature, type WebhookLogger } from "./logger.js";
import { parseCartRequest } from "./parse-cart-request.js";
import { createMemoryReplayGuard, type ReplayGuard, type StoredAnswer } from "./replay-guard.js";
import {
  CartGetQuery,
  CartGetResponse,
  CartResponse,
  ProductsRequest,
  ProductsResponse,
  type CartRequest,
} from "./schemas.js";
import {
  DEFAULT_TOLERANCE_SECONDS,
  readHeader,
  verifyWebhookSignature,
  type GetSigningMode,
  type HeaderSource,
} from "./signature.js";

export interface WebhookPaths {
  products: string;
  cart: string;
  cartGet: string;
}

export const DEFAULT_PATHS: WebhookPaths = {
  products: "/check-products",
  cart: "/cart",
  cartGet: "/cart/items",
};

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

export interface CoreResponse {
  status: number;
  headers: Record<string, string>;
  /** The JSON text to send, serialized once (and stored as-is by the replay guard). */
  body: string;
  /** Set on error answers: the stable code in the body. */
  error?: WebhookErrorCode;
}

export type RouteMatch =
  | { type: "unmatched" }
  | { type: "rejected"; response: CoreResponse }
  | { type: "matched"; kind: WebhookKind; readBody: boolean };

export interface WebhookCore {
  readonly paths: WebhookPaths;
  readonly bodyLimit: number;
  /** The core's clock (injectable through `options.now`), for adapters to stamp arrival. */
  now(): number;
  /** Routing, method, content type and declared length: everything decidable before the body. */
  match(method: string, path: string, headers: HeaderSource): RouteMatch;
  handle(kind: WebhookKind, request: CoreRequest): Promise<CoreResponse>;
  errorResponse(code: WebhookErrorCode, message: string, headers?: Record<string, string>): CoreResponse;
  /** The 413 answer; it closes the connection rather than reading the rest of the body. */
  payloadTooLarge(): CoreResponse;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
const POLL_MS = 20;

/** Builds the framework-agnostic core: verify → replay guard → validate → dispatch → validate. */
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
  const getSigning = options.getSigning ?? "empty-body";
  const now = options.now ?? Date.now;
  const replayGuard = options.replayGuard === false ? undefined : (options.replayGuard ?? createMemoryReplayGuard({ now }));
  const logger = options.logger ?? consoleLogger;
  const newRequestId = options.generateRequestId ?? randomUUID;
  const handlers = options.handlers;

  const routes = new Map<string, Partial<Record<"GET" | "POST", WebhookKind>>>();
  const addRoute = (path: string, method: "GET" | "POST", kind: WebhookKind) =>
    routes.set(path, { ...routes.get(path), [method]: kind });
  addRoute(paths.products, "POST", "products");
  addRoute(paths.cart, "POST", "cart");
  addRoute(paths.cartGet, "GET", "cart_get");

  function errorResponse(code: WebhookErrorCode, message: string, extra: Record<string, string> = {}): CoreResponse {
    const error = new WebhookError(code, message);
    return { status: error.status, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(error.toBody()), error: code };
  }

  function match(method: string, path: string, headers: HeaderSource): RouteMatch {
    const route = routes.get(path) ?? (path.length > 1 && path.endsWith("/") ? routes.get(path.slice(0, -1)) : undefined);
    if (route === undefined) return { type: "unmatched" };
    const kind = route[method.toUpperCase() as "GET" | "POST"];
    if (kind === undefined) {
      const allow = Object.keys(route).join(", ");
      return { type: "rejected", response: errorResponse("method_not_allowed", `use ${allow} for ${path}`, { allow }) };
    }
    if (kind === "cart_get") return { type: "matched", kind, readBody: false };
    const contentType = readHeader(headers, "content-type");
    if (contentType == null || !/^application\/json\s*(;|$)/i.test(contentType)) {
      return {
        type: "rejected",
        response: errorResponse("unsupported_media_type", "Content-Type must be application/json"),
      };
    }
    const declared = readHeader(headers, "content-length");
    if (declared != null && Number(declared) > bodyLimit) {
      return { type: "rejected", response: payloadTooLarge() };
    }
    return { type: "matched", kind, readBody: true };
  }

  function payloadTooLarge(): CoreResponse {
    return errorResponse("payload_too_large", `body is larger than ${bodyLimit} bytes`, { connection: "close" });
  }

  async function handle(kind: WebhookKind, request: CoreRequest): Promise<CoreResponse> {
    const receivedAt = request.receivedAt ?? now();
    const requestId = newRequestId();
    let response: CoreResponse;
    try {
      response = await verifyAndDispatch(kind, request, receivedAt, requestId);
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

  async function verifyAndDispatch(
    kind: WebhookKind,
    request: CoreRequest,
    receivedAt: number,
    requestId: string,
  ): Promise<CoreResponse> {
    if (request.rawBody.byteLength > bodyLimit) return payloadTooLarge();
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
    if (!verified.ok) return errorResponse(verified.code, verified.message);

    const deadline = receivedAt + budgetMs;
    const base = { requestId, deadline, secretIndex: verified.secretIndex };
    if (kind === "cart_get" || replayGuard === undefined) {
      return answer(kind, request, base);
    }

    const key = `${verified.timestamp}.${verified.signature}`;
    const expiresAt = (verified.timestamp + toleranceSeconds + 1) * 1000;
    for (;;) {
      const seen = await replayGuard.begin(key, request.path, expiresAt);
      if (seen.state === "other_path") {
        logger.warn({ requestId, signature: redactSignature(verified.signature) }, "signature replayed on another path");
        return errorResponse("replayed", "this signature was already used for another endpoint");
      }
      if (seen.state === "done") {
        return { status: seen.answer.status, headers: { ...JSON_HEADERS, "x-vizochok-replayed": "1" }, body: seen.answer.body };
      }
      if (seen.state === "new") break;
      if (now() >= deadline) return errorResponse("request_in_flight", "the same delivery is still being handled");
      await sleep(POLL_MS);
    }
    let response: CoreResponse | undefined;
    try {
      response = await answer(kind, request, base);
      return response;
    } finally {
      // The handler's work is done (and maybe committed): a guard failure now must not turn the
      // answer into a 5xx, or VIZOCHOK's retry would apply the change twice. Log it instead.
      try {
        if (response !== undefined && response.status < 500) {
          await replayGuard.complete(key, { status: response.status, body: response.body } satisfies StoredAnswer);
        } else {
          await replayGuard.release(key);
        }
      } catch (error) {
        logger.error({ requestId, err: serializeError(error) }, "replay guard could not record the answer");
      }
    }
  }

  function answer(
    kind: WebhookKind,
    request: CoreRequest,
    base: { requestId: string; deadline: number; secretIndex: number },
  ): CoreResponse | Promise<CoreResponse> {
    const ok = (body: unknown): CoreResponse => ({ status: 200, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) });

    if (kind === "products") {
      const body = decodeJson(request.rawBody);
      if (!body.ok) return errorResponse("invalid_json", "request body is not valid JSON");
      const parsed = ProductsRequest.safeParse(body.value);
      if (!parsed.success) return errorResponse("invalid_request", describeIssue(parsed.error));
      const context = makeContext("products", parsed.data.store_id, undefined);
      return run(context, ProductsResponse, () => handlers.products(parsed.data, context));
    }

    if (kind === "cart") {
      const body = decodeJson(request.rawBody);
      const parsed = body.ok ? parseCartRequest(body.value) : { ok: false as const, reason: "missing_params" as const };
      if (!parsed.ok) return ok({ ok: false, reason: parsed.reason });
      const cart = parsed.request;
      const method = cartHandler(cart);
      if (method === undefined) return errorResponse("not_found", `no handler for cart action "${cart.action}"`);
      const context = makeContext("cart", cart.store_id, cart.session_id);
      return run(context, CartResponse, () => method(cart as never, context));
    }

    const parsed = CartGetQuery.safeParse({
      store_id: request.query.get("store_id") ?? undefined,
      session_id: request.query.get("session_id") ?? undefined,
    });
    if (!parsed.success) return errorResponse("invalid_request", describeIssue(parsed.error));
    const cartGet = handlers.cartGet;
    if (cartGet === undefined) return errorResponse("not_found", "no cart GET handler is configured");
    const context = makeContext("cart_get", parsed.data.store_id, parsed.data.session_id);
    return run(context, CartGetResponse, () => cartGet.call(handlers, parsed.data, context));

    function makeContext(kind: WebhookKind, storeId: string, sessionId: string | undefined): WebhookContext & { abort(): void } {
      // The AbortController is made on first use: most handlers answer without ever touching it.
      let controller: AbortController | undefined;
      let aborted = false;
      return {
        kind,
        storeId,
        sessionId,
        ...base,
        get signal() {
          if (controller === undefined) {
            controller = new AbortController();
            if (aborted) controller.abort();
          }
          return controller.signal;
        },
        abort() {
          aborted = true;
          controller?.abort();
        },
      };
    }
  }

  function cartHandler(cart: CartRequest): ((request: never, context: WebhookContext) => unknown) | undefined {
    const method = {
      add: handlers.add,
      remove: handlers.remove,
      update_quantity: handlers.updateQuantity,
      clear: handlers.clear,
    }[cart.action];
    return method?.bind(handlers) as ((request: never, context: WebhookContext) => unknown) | undefined;
  }

  /** Calls the handler; synchronous answers skip the deadline timer entirely. */
  function run(
    context: WebhookContext & { abort(): void },
    schema: z.ZodType,
    call: () => unknown,
  ): CoreResponse | Promise<CoreResponse> {
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      return failed(context, error);
    }
    if (!isThenable(result)) return check(context, schema, result);

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, context.deadline - now()), TIMED_OUT);
    });
    return Promise.race([result, timeout]).then(
      (settled) => {
        clearTimeout(timer);
        if (settled !== TIMED_OUT) return check(context, schema, settled);
        context.abort();
        return errorResponse("handler_timeout", `handler did not answer within the ${budgetMs} ms budget`);
      },
      (error: unknown) => {
        clearTimeout(timer);
        return failed(context, error);
      },
    );
  }

  function check(context: WebhookContext, schema: z.ZodType, answer: unknown): CoreResponse {
    const checked = schema.safeParse(answer);
    if (checked.success) return { status: 200, headers: { ...JSON_HEADERS }, body: JSON.stringify(checked.data) };
    logger.error(
      { requestId: context.requestId, kind: context.kind, issues: checked.error.issues },
      "handler returned an answer that breaks the VIZOCHOK contract; fix the handler",
    );
    return errorResponse("invalid_handler_answer", "the handler's answer does not match the contract");
  }

  function failed(context: WebhookContext & { abort(): void }, error: unknown): CoreResponse {
    context.abort();
    logger.error({ requestId: context.requestId, kind: context.kind, err: serializeError(error) }, "handler threw");
    return errorResponse("handler_failed", "the handler failed; see the server log");
  }

  return { paths, bodyLimit, now, match, handle, errorResponse, payloadTooLarge };
}

const TIMED_OUT = Symbol("timed out");
const utf8 = new TextDecoder("utf-8", { fatal: true });

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function decodeJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(utf8.decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid request";
  const where = issue.path.length > 0 ? issue.path.join(".") : "body";
  return `${where}: ${issue.message}`;
}

function serializeError(error: unknown): Record<string, unknown> {
  return error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : { value: String(error) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
