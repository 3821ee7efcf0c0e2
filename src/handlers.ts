import type {
  CartAddRequest,
  CartClearRequest,
  CartGetQuery,
  CartGetResponse,
  CartRemoveRequest,
  CartResponse,
  CartUpdateQuantityRequest,
  ProductsAnswer,
  ProductsRequest,
} from "./schemas.js";
import type { ReplayClaim, StoredAnswer } from "./replay-guard.js";

export type WebhookKind = "products" | "cart" | "cart_get";

/** What every handler receives besides the validated request. */
export interface WebhookContext {
  /** Which webhook this is: `"products"`, `"cart"` (a POST) or `"cart_get"`. */
  kind: WebhookKind;
  /** The request's `store_id`. */
  storeId: string;
  /** Absent for products, which are not tied to a shopper. */
  sessionId: string | undefined;
  /** Aborted when the webhook budget runs out; pass it to your own I/O. */
  signal: AbortSignal;
  /** Epoch milliseconds by which the answer must be sent (VIZOCHOK waits 5 s). */
  deadline: number;
  /** Index into the configured secrets of the one that verified this request. */
  secretIndex: number;
  /** This request's id, as in the `x-request-id` answer header and every log line about it. */
  requestId: string;
  /**
   * Cart POSTs behind a replay guard: this delivery's claim. A store whose guard lives in its own
   * database records the answer with the change, in the same transaction (see `ReplayGuard`).
   */
  replay?: DeliveryClaim;
}

/** A replay claim as a handler sees it. */
export interface DeliveryClaim extends ReplayClaim {
  /** The answer exactly as the kit will send and record it; throws when it breaks the contract. */
  stored(answer: CartResponse): StoredAnswer;
}

type Answer<T> = T | Promise<T>;

/**
 * What a merchant implements. Each method gets the validated request for its own action and
 * returns an answer; business rejections are answers (`{ ok: false, reason }`), not throws.
 */
export interface WebhookHandlers {
  products(request: ProductsRequest, context: WebhookContext): Answer<ProductsAnswer>;
  add?(request: CartAddRequest, context: WebhookContext): Answer<CartResponse>;
  remove?(request: CartRemoveRequest, context: WebhookContext): Answer<CartResponse>;
  updateQuantity?(request: CartUpdateQuantityRequest, context: WebhookContext): Answer<CartResponse>;
  clear?(request: CartClearRequest, context: WebhookContext): Answer<CartResponse>;
  cartGet?(query: CartGetQuery, context: WebhookContext): Answer<CartGetResponse>;
}

/** Handlers for all three webhooks; what a complete integration implements. */
export type CompleteWebhookHandlers = Required<WebhookHandlers>;
