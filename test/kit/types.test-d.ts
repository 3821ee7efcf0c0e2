// Type tests: checked by the compiler (`npm run typecheck`, the first step of `npm test`), not at
// run time. Each `expectTypeOf` pins an exact type, and each `@ts-expect-error` a usage that must
// not compile: if it ever compiled, the directive itself would be the error.
import { expectTypeOf } from "vitest";
import {
  createWebhookRouter,
  type CartAddRequest,
  type CartClearRequest,
  type CartGetQuery,
  type CartGetResponse,
  type CartReason,
  type CartRemoveRequest,
  type CartResponse,
  type CartUpdateQuantityRequest,
  type ProductsAnswer,
  type ProductsRequest,
  type WebhookContext,
  type WebhookHandlers,
} from "vizochok-merchant-kit";

type Arg<K extends keyof WebhookHandlers> = Parameters<NonNullable<WebhookHandlers[K]>>[0];
type Returned<K extends keyof WebhookHandlers> = ReturnType<NonNullable<WebhookHandlers[K]>>;

// Each handler gets the request of its own action, field by field.
expectTypeOf<Arg<"products">>().toEqualTypeOf<ProductsRequest>();
expectTypeOf<ProductsRequest>().toEqualTypeOf<{ skus: string[]; store_id: string }>();
expectTypeOf<Arg<"add">>().toEqualTypeOf<CartAddRequest>();
expectTypeOf<CartAddRequest>().toEqualTypeOf<{
  action: "add";
  store_id: string;
  session_id: string;
  sku: string;
  name?: string | undefined;
  quantity?: number | undefined;
  price?: number | undefined;
}>();
expectTypeOf<Arg<"remove">>().toEqualTypeOf<CartRemoveRequest>();
expectTypeOf<CartRemoveRequest>().toEqualTypeOf<{ action: "remove"; store_id: string; session_id: string; sku: string }>();
expectTypeOf<Arg<"updateQuantity">>().toEqualTypeOf<CartUpdateQuantityRequest>();
expectTypeOf<CartUpdateQuantityRequest>().toEqualTypeOf<{ action: "update_quantity"; store_id: string; session_id: string; sku: string; quantity: number }>();
expectTypeOf<Arg<"clear">>().toEqualTypeOf<CartClearRequest>();
expectTypeOf<CartClearRequest>().toEqualTypeOf<{ action: "clear"; store_id: string; session_id: string }>();
expectTypeOf<Arg<"cartGet">>().toEqualTypeOf<CartGetQuery>();
expectTypeOf<CartGetQuery>().toEqualTypeOf<{ store_id: string; session_id: string }>();

// Answers may be synchronous or a promise.
expectTypeOf<Returned<"products">>().toEqualTypeOf<ProductsAnswer | Promise<ProductsAnswer>>();
expectTypeOf<Returned<"add">>().toEqualTypeOf<CartResponse | Promise<CartResponse>>();
expectTypeOf<Returned<"cartGet">>().toEqualTypeOf<CartGetResponse | Promise<CartGetResponse>>();
expectTypeOf<CartResponse>().toEqualTypeOf<{ ok: true } | { ok: false; reason: CartReason }>();

// A products answer may carry null promo fields (they are read as absent).
expectTypeOf<{ products: [{ sku: "a"; price: 1; in_stock: true; promo_price: null; promo_label: null }] }>().toExtend<ProductsAnswer>();
// Any non-standard reason string is accepted, and the standard ones are offered by name.
expectTypeOf<"max_3_per_customer">().toExtend<CartReason>();
expectTypeOf<"out_of_stock">().toExtend<CartReason>();

// The context: the budget, the secret that verified, and no session for products.
expectTypeOf<WebhookContext["signal"]>().toEqualTypeOf<AbortSignal>();
expectTypeOf<WebhookContext["deadline"]>().toEqualTypeOf<number>();
expectTypeOf<WebhookContext["secretIndex"]>().toEqualTypeOf<number>();
expectTypeOf<WebhookContext["sessionId"]>().toEqualTypeOf<string | undefined>();
expectTypeOf<WebhookContext["kind"]>().toEqualTypeOf<"products" | "cart" | "cart_get">();

// Handlers written the ordinary way compile, sync and async.
export const handlers: WebhookHandlers = {
  products: (request) => ({ products: request.skus.map((sku) => ({ sku, price: 1, in_stock: true })) }),
  add: async (request) => (request.quantity === 4 ? { ok: false, reason: "max_3_per_customer" } : { ok: true }),
  cartGet: (query) => ({ items: [{ sku: query.session_id, name: "Milk", price: 42.5, quantity: 1 }] }),
};

// Wrong usages that must not compile.
export const wrong = {
  // @ts-expect-error — a products answer needs `products`
  noProducts: { products: () => ({ items: [] }) } satisfies WebhookHandlers,
  // @ts-expect-error — a price is a number, not a string
  priceAsText: { products: () => ({ products: [{ sku: "a", price: "1.00", in_stock: true }] }) } satisfies WebhookHandlers,
  // @ts-expect-error — a rejection needs a reason
  noReason: { ok: false } satisfies CartResponse,
  // @ts-expect-error — `ok` is a boolean literal, not a string
  okAsText: { ok: "true" } satisfies CartResponse,
  // @ts-expect-error — a cart GET answer lists `items`
  cartGetWithoutItems: { products: () => ({ products: [] }), cartGet: () => ({ cart: [] }) } satisfies WebhookHandlers,
  // @ts-expect-error — a clear request has no SKU
  skuOnClear: (request: CartClearRequest) => request.sku,
  // @ts-expect-error — the add handler is not given an update_quantity request
  addTakesUpdate: { products: () => ({ products: [] }), add: (request: CartUpdateQuantityRequest) => ({ ok: true as const, quantity: request.quantity }) } satisfies WebhookHandlers,
};

// @ts-expect-error — the router needs the webhook secret
createWebhookRouter({ handlers });
// @ts-expect-error — and a products handler
createWebhookRouter({ secret: "whsec_x", handlers: {} });
