import { describe, expectTypeOf, it } from "vitest";
import type {
  CartAddRequest,
  CartClearRequest,
  CartGetQuery,
  CartReason,
  CartRemoveRequest,
  CartResponse,
  CartUpdateQuantityRequest,
  ProductsRequest,
  WebhookContext,
  WebhookHandlers,
} from "vizochok-merchant-kit";

type Arg<K extends keyof WebhookHandlers> = Parameters<NonNullable<WebhookHandlers[K]>>[0];

describe("WebhookHandlers types", () => {
  it("gives each handler the request type of its own action", () => {
    expectTypeOf<Arg<"products">>().toEqualTypeOf<ProductsRequest>();
    expectTypeOf<Arg<"add">>().toEqualTypeOf<CartAddRequest>();
    expectTypeOf<Arg<"remove">>().toEqualTypeOf<CartRemoveRequest>();
    expectTypeOf<Arg<"updateQuantity">>().toEqualTypeOf<CartUpdateQuantityRequest>();
    expectTypeOf<Arg<"clear">>().toEqualTypeOf<CartClearRequest>();
    expectTypeOf<Arg<"cartGet">>().toEqualTypeOf<CartGetQuery>();
  });

  it("narrows the action and its fields", () => {
    expectTypeOf<CartAddRequest["action"]>().toEqualTypeOf<"add">();
    expectTypeOf<CartAddRequest["quantity"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<CartUpdateQuantityRequest["quantity"]>().toEqualTypeOf<number>();
    expectTypeOf<CartClearRequest>().not.toHaveProperty("sku");
  });

  it("accepts sync and async answers, and any string as a reason", () => {
    const handlers: WebhookHandlers = {
      products: (request) => ({ products: request.skus.map((sku) => ({ sku, price: 1, in_stock: true })) }),
      add: async (request) => (request.quantity === 4 ? { ok: false, reason: "max_3_per_customer" } : { ok: true }),
    };
    expectTypeOf(handlers.add).toEqualTypeOf<WebhookHandlers["add"]>();
    expectTypeOf<"out_of_stock">().toExtend<CartReason>();
    expectTypeOf<{ ok: false; reason: "price_changed" }>().toExtend<CartResponse>();
  });

  it("rejects answers of the wrong shape at compile time", () => {
    // @ts-expect-error — a products answer needs `products`
    const bad: WebhookHandlers = { products: () => ({ items: [] }) };
    // @ts-expect-error — a rejection needs a reason
    const noReason: CartResponse = { ok: false };
    expectTypeOf(bad).not.toBeAny();
    expectTypeOf(noReason).not.toBeAny();
  });

  it("gives the context the webhook budget and the matched secret", () => {
    expectTypeOf<WebhookContext["signal"]>().toEqualTypeOf<AbortSignal>();
    expectTypeOf<WebhookContext["deadline"]>().toEqualTypeOf<number>();
    expectTypeOf<WebhookContext["secretIndex"]>().toEqualTypeOf<number>();
    expectTypeOf<WebhookContext["sessionId"]>().toEqualTypeOf<string | undefined>();
  });
});
