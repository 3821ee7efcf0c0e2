import type * as z from "zod/mini";
import type { DeliveryClaim, WebhookContext, WebhookHandlers, WebhookKind } from "../handlers.js";
import type { WebhookLogger } from "../logger.js";
import { parseCartRequest } from "../parse-cart-request.js";
import type { ReplayClaim, StoredAnswer } from "../replay-guard.js";
import { CartGetQuery, CartGetResponse, CartResponse, ProductsRequest, ProductsResponse, type CartRequest } from "../schemas.js";
import { checkAnswer, serializeAnswer } from "./answer-check.js";
import { isCanonicalProductsRequest } from "./canonical-shapes.js";
import { errorResponse, jsonResponse, type CoreResponse } from "./responses.js";
import { serializeError } from "./serialize-error.js";

export interface DispatchOptions {
  handlers: WebhookHandlers;
  /** The handler's time, for the timeout message; the deadline itself comes with each request. */
  budgetMs: number;
  now: () => number;
  logger: WebhookLogger;
}

/** A verified request as dispatch sees it. */
export interface DispatchRequest {
  kind: WebhookKind;
  rawBody: Uint8Array;
  query: URLSearchParams;
  requestId: string;
  deadline: number;
  secretIndex: number;
  /** The replay guard's claim on a cart POST; the handler sees it as `context.replay`. */
  claim: ReplayClaim | undefined;
}

type HandlerContext = WebhookContext & { abort(): void };
type HandlerMethod = (this: WebhookHandlers, request: never, context: WebhookContext) => unknown;

/**
 * Dispatch: validate the request for its kind, call the merchant's handler within the deadline,
 * and pass what it returns to the answer check. Synchronous answers skip the deadline timer.
 */
export function createDispatcher(options: DispatchOptions): (request: DispatchRequest) => CoreResponse | Promise<CoreResponse> {
  const { handlers, budgetMs, now, logger } = options;

  return function dispatch(request) {
    if (request.kind === "products") {
      const body = decodeJson(request.rawBody);
      if (body === INVALID_JSON) return errorResponse("invalid_json", "request body is not valid JSON");
      // The usual request is already exactly what zod would output: the handler gets it as parsed.
      let products = body as ProductsRequest;
      if (!isCanonicalProductsRequest(body)) {
        const parsed = ProductsRequest.safeParse(body);
        if (!parsed.success) return errorResponse("invalid_request", describeIssue(parsed.error));
        products = parsed.data;
      }
      const context = makeContext(request, products.store_id, undefined);
      return run(context, ProductsResponse, handlers.products, products);
    }

    if (request.kind === "cart") {
      const body = decodeJson(request.rawBody);
      const parsed = body !== INVALID_JSON ? parseCartRequest(body) : { ok: false as const, reason: "missing_params" as const };
      // A signed but malformed cart request is a business answer, never an HTTP error.
      if (!parsed.ok) return jsonResponse(JSON.stringify({ ok: false, reason: parsed.reason }));
      const cart = parsed.request;
      const method = cartHandler(cart);
      if (method === undefined) return errorResponse("not_found", `no handler for cart action "${cart.action}"`);
      const context = makeContext(request, cart.store_id, cart.session_id);
      return run(context, CartResponse, method, cart);
    }

    const parsed = CartGetQuery.safeParse({
      store_id: request.query.get("store_id") ?? undefined,
      session_id: request.query.get("session_id") ?? undefined,
    });
    if (!parsed.success) return errorResponse("invalid_request", describeIssue(parsed.error));
    const cartGet = handlers.cartGet;
    if (cartGet === undefined) return errorResponse("not_found", "no cart GET handler is configured");
    const context = makeContext(request, parsed.data.store_id, parsed.data.session_id);
    return run(context, CartGetResponse, cartGet, parsed.data);
  };

  function cartHandler(cart: CartRequest): HandlerMethod | undefined {
    switch (cart.action) {
      case "add":
        return handlers.add as HandlerMethod | undefined;
      case "remove":
        return handlers.remove as HandlerMethod | undefined;
      case "update_quantity":
        return handlers.updateQuantity as HandlerMethod | undefined;
      case "clear":
        return handlers.clear as HandlerMethod | undefined;
    }
  }

  /** Calls `method` on the handlers object (so handlers may use `this`), then checks what it answers. */
  function run(context: HandlerContext, schema: z.ZodMiniType, method: HandlerMethod, input: unknown): CoreResponse | Promise<CoreResponse> {
    let result: unknown;
    try {
      result = method.call(handlers, input as never, context);
    } catch (error) {
      return failed(context, error);
    }
    if (!isThenable(result)) return checkAnswer(schema, result, context, logger);

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, context.deadline - now()), TIMED_OUT);
    });
    return Promise.race([result, timeout]).then(
      (settled) => {
        clearTimeout(timer);
        if (settled !== TIMED_OUT) return checkAnswer(schema, settled, context, logger);
        context.abort();
        return errorResponse("handler_timeout", `handler did not answer within the ${budgetMs} ms budget`);
      },
      (error: unknown) => {
        clearTimeout(timer);
        return failed(context, error);
      },
    );
  }

  function failed(context: HandlerContext, error: unknown): CoreResponse {
    context.abort();
    logger.error({ requestId: context.requestId, kind: context.kind, err: serializeError(error) }, "handler threw");
    return errorResponse("handler_failed", "the handler failed; see the server log");
  }
}

/**
 * The handler's context. A class, so making one per request is a plain allocation; the
 * AbortController is made on first use of `signal`: most handlers never touch it.
 */
class Context implements WebhookContext {
  readonly kind: WebhookKind;
  readonly requestId: string;
  readonly deadline: number;
  readonly secretIndex: number;
  declare readonly replay?: DeliveryClaim;
  #controller: AbortController | undefined = undefined;
  #aborted = false;

  constructor(
    request: DispatchRequest,
    readonly storeId: string,
    readonly sessionId: string | undefined,
  ) {
    this.kind = request.kind;
    this.requestId = request.requestId;
    this.deadline = request.deadline;
    this.secretIndex = request.secretIndex;
    if (request.claim !== undefined) (this as { replay?: DeliveryClaim }).replay = { ...request.claim, stored: storedCartAnswer };
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    this.#aborted = true;
    this.#controller?.abort();
  }
}

function makeContext(request: DispatchRequest, storeId: string, sessionId: string | undefined): HandlerContext {
  return new Context(request, storeId, sessionId);
}

/**
 * One object of each shape a products request makes and drops, kept for the life of the process.
 * V8 gives an object built field by field (a class instance, what `JSON.parse` returns) a hidden
 * class that lives only while such an object does; optimized code that checks for it is thrown
 * away at the first full garbage collection that finds none, and the requests that follow run
 * unoptimized until it is compiled again. With one kept, the shapes, and the code, stay.
 */
export const KEPT_SHAPES: readonly unknown[] = [
  new Context(
    // Each field holds what a request's does (a deadline is epoch ms, not a small integer), so the shape is the same one.
    { kind: "products", rawBody: new Uint8Array(0), query: new URLSearchParams(), requestId: "", deadline: Date.now(), secretIndex: 0, claim: undefined },
    "",
    undefined,
  ),
  JSON.parse('{"skus":[],"store_id":""}'),
];

/** A cart answer exactly as the kit sends and records it. */
function storedCartAnswer(answer: unknown): StoredAnswer {
  const serialized = serializeAnswer(CartResponse, answer);
  if (!serialized.ok) throw new TypeError("the cart answer does not match the contract");
  return { status: 200, body: serialized.text };
}

const TIMED_OUT = Symbol("timed out");
const utf8 = new TextDecoder("utf-8", { fatal: true });

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

const INVALID_JSON = Symbol("invalid JSON");

/** The parsed body, or `INVALID_JSON` when it is not UTF-8 JSON. */
function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    return INVALID_JSON;
  }
}

function describeIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid request";
  const where = issue.path.length > 0 ? issue.path.join(".") : "body";
  return `${where}: ${issue.message}`;
}
