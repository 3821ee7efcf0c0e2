// A correct in-memory merchant written with the kit: the second subject of the contract suite,
// and the base every deliberately broken variant breaks one thing of.
import type { CartResponse, CompleteWebhookHandlers } from "vizochok-merchant-kit";

export const MEMORY_SECRET = "whsec_contract_memory";
export const STORES = ["store-1", "store-2"] as const;

interface Offer {
  price: number;
  promo_price?: number;
  stock: number;
}

const CATALOG: Record<string, Offer> = {
  "milk-001": { price: 42.5, promo_price: 38.9, stock: 500 },
  "milk-002": { price: 39.9, stock: 3 },
  "milk-003": { price: 44.9, stock: 0 },
  "bread-001": { price: 24.9, stock: 50 },
};

/** The contract config that matches this merchant's catalog. */
export const MEMORY_CONFIG = {
  storeId: "store-1",
  inStockSku: "milk-001",
  outOfStockSku: "milk-003",
  limitedSku: { sku: "milk-002", available: 3 },
  otherStoreId: "store-2",
};

export interface MemoryMerchant {
  handlers: CompleteWebhookHandlers;
  /** Cart lines by `store/session`, for assertions on what the merchant really holds. */
  carts: Map<string, Map<string, number>>;
}

export function createMemoryMerchant(): MemoryMerchant {
  const carts = new Map<string, Map<string, number>>();
  const cartOf = (store: string, session: string) => {
    const key = `${store}/${session}`;
    let cart = carts.get(key);
    if (cart === undefined) carts.set(key, (cart = new Map()));
    return cart;
  };
  const known = (store: string, sku: string) => ((STORES as readonly string[]).includes(store) ? CATALOG[sku] : undefined);

  /** What other carts in the store hold of a SKU: stock in a cart is reserved for its shopper. */
  function heldElsewhere(store: string, session: string, sku: string): number {
    let held = 0;
    for (const [key, cart] of carts) if (key.startsWith(`${store}/`) && key !== `${store}/${session}`) held += cart.get(sku) ?? 0;
    return held;
  }

  function setLine(store: string, session: string, sku: string, quantity: number): CartResponse {
    const offer = known(store, sku);
    if (offer === undefined) return { ok: false, reason: "product_not_found" };
    const available = offer.stock - heldElsewhere(store, session, sku);
    if (available <= 0) return { ok: false, reason: "out_of_stock" };
    if (quantity > available) return { ok: false, reason: "quantity_exceeded" };
    cartOf(store, session).set(sku, quantity);
    return { ok: true };
  }

  const handlers: CompleteWebhookHandlers = {
    products(request) {
      return {
        products: request.skus.flatMap((sku) => {
          const offer = known(request.store_id, sku);
          if (offer === undefined) return [];
          return [{ sku, price: offer.price, in_stock: offer.stock > 0, ...(offer.promo_price === undefined ? {} : { promo_price: offer.promo_price }) }];
        }),
      };
    },
    add(request) {
      const current = cartOf(request.store_id, request.session_id).get(request.sku) ?? 0;
      return setLine(request.store_id, request.session_id, request.sku, current + (request.quantity ?? 1));
    },
    updateQuantity(request) {
      if (!cartOf(request.store_id, request.session_id).has(request.sku)) return { ok: false, reason: "not_in_cart" };
      return setLine(request.store_id, request.session_id, request.sku, request.quantity);
    },
    remove(request) {
      return cartOf(request.store_id, request.session_id).delete(request.sku) ? { ok: true } : { ok: false, reason: "not_in_cart" };
    },
    clear(request) {
      cartOf(request.store_id, request.session_id).clear();
      return { ok: true };
    },
    cartGet(query) {
      const items = [...cartOf(query.store_id, query.session_id)].map(([sku, quantity]) => ({
        sku,
        name: sku,
        price: CATALOG[sku]!.price,
        quantity,
      }));
      return { items };
    },
  };
  return { handlers, carts };
}
