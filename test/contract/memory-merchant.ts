// A correct in-memory merchant written with the kit: the second subject of the contract suite,
// and the base every deliberately broken variant breaks one thing of. `flaws` are the defects
// that live inside a merchant's own bookkeeping; each is off unless a broken variant asks.
import type { CartResponse, CompleteWebhookHandlers } from "vizochok-merchant-kit";

export const MEMORY_SECRET = "whsec_contract_memory";
export const STORES = ["store-1", "store-2"] as const;

interface Offer {
  price: number;
  promo_price?: number;
  stock: number;
}

export const CATALOG: Record<string, Offer> = {
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

export interface MemoryFlaws {
  /** Stock is checked against one cart only, so shoppers together can take more than there is. */
  stockPerCart?: boolean;
  /** Clear empties the cart but the stock it held stays reserved. */
  clearKeepsReservation?: boolean;
  /** Remove sets the line to 0 instead of deleting it; a 0 line still counts as in the cart. */
  removeZeroesLine?: boolean;
  /** An add reads the line, awaits, then writes line + quantity: parallel adds lose updates. */
  lostUpdates?: boolean;
  /** An add checks stock, awaits, then reserves without checking again. */
  stockCheckRace?: boolean;
  /** Carts are keyed by session alone: the same session id shares one cart across stores. */
  cartsIgnoreStore?: boolean;
  /** An off-by-one stock check (`quantity >= available`): adding exactly what is left is refused. */
  exactStockRefused?: boolean;
}

export interface MemoryMerchant {
  handlers: CompleteWebhookHandlers;
  /** Cart lines by `store/session`, for assertions on what the merchant really holds. */
  carts: Map<string, Map<string, number>>;
  cartKey(store: string, session: string): string;
}

/** A database round trip, during which other requests run. */
const roundTrip = () => new Promise<void>((resolve) => setTimeout(resolve, 20));

export function createMemoryMerchant(flaws: MemoryFlaws = {}): MemoryMerchant {
  const carts = new Map<string, Map<string, number>>();
  /** Stock a cleared cart never gave back (only with `clearKeepsReservation`). */
  const leaked = new Map<string, number>();
  const cartKey = (store: string, session: string) => (flaws.cartsIgnoreStore ? session : `${store}/${session}`);
  const cartOf = (store: string, session: string) => {
    const key = cartKey(store, session);
    let cart = carts.get(key);
    if (cart === undefined) carts.set(key, (cart = new Map()));
    return cart;
  };
  const known = (store: string, sku: string) => ((STORES as readonly string[]).includes(store) ? CATALOG[sku] : undefined);

  /** What other carts in the store hold of a SKU: stock in a cart is reserved for its shopper. */
  function heldElsewhere(store: string, session: string, sku: string): number {
    if (flaws.stockPerCart) return 0;
    let held = leaked.get(`${store}/${sku}`) ?? 0;
    const own = cartKey(store, session);
    for (const [key, cart] of carts) if (key !== own && (flaws.cartsIgnoreStore || key.startsWith(`${store}/`))) held += cart.get(sku) ?? 0;
    return held;
  }

  function stockAnswer(store: string, session: string, sku: string, quantity: number): CartResponse {
    const offer = known(store, sku);
    if (offer === undefined) return { ok: false, reason: "product_not_found" };
    const available = offer.stock - heldElsewhere(store, session, sku);
    if (available <= 0) return { ok: false, reason: "out_of_stock" };
    if (quantity > available || (flaws.exactStockRefused && quantity === available)) return { ok: false, reason: "quantity_exceeded" };
    return { ok: true };
  }

  function setLine(store: string, session: string, sku: string, quantity: number): CartResponse {
    const answer = stockAnswer(store, session, sku, quantity);
    if (answer.ok) cartOf(store, session).set(sku, quantity);
    return answer;
  }

  const inCart = (cart: Map<string, number>, sku: string) => cart.has(sku) && (flaws.removeZeroesLine || cart.get(sku)! > 0);

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
    async add(request) {
      const { store_id: store, session_id: session, sku } = request;
      const quantity = request.quantity ?? 1;
      if (flaws.lostUpdates) {
        const current = cartOf(store, session).get(sku) ?? 0;
        await roundTrip();
        return setLine(store, session, sku, current + quantity);
      }
      if (flaws.stockCheckRace) {
        const checked = stockAnswer(store, session, sku, (cartOf(store, session).get(sku) ?? 0) + quantity);
        if (!checked.ok) return checked;
        await roundTrip();
        const cart = cartOf(store, session);
        cart.set(sku, (cart.get(sku) ?? 0) + quantity);
        return checked;
      }
      return setLine(store, session, sku, (cartOf(store, session).get(sku) ?? 0) + quantity);
    },
    updateQuantity(request) {
      if (!inCart(cartOf(request.store_id, request.session_id), request.sku)) return { ok: false, reason: "not_in_cart" };
      return setLine(request.store_id, request.session_id, request.sku, request.quantity);
    },
    remove(request) {
      const cart = cartOf(request.store_id, request.session_id);
      if (!inCart(cart, request.sku)) return { ok: false, reason: "not_in_cart" };
      if (flaws.removeZeroesLine) cart.set(request.sku, 0);
      else cart.delete(request.sku);
      return { ok: true };
    },
    clear(request) {
      const cart = cartOf(request.store_id, request.session_id);
      if (flaws.clearKeepsReservation) {
        for (const [sku, quantity] of cart) leaked.set(`${request.store_id}/${sku}`, (leaked.get(`${request.store_id}/${sku}`) ?? 0) + quantity);
      }
      cart.clear();
      return { ok: true };
    },
    cartGet(query) {
      const items = [...cartOf(query.store_id, query.session_id)]
        .filter(([, quantity]) => quantity > 0)
        .map(([sku, quantity]) => ({ sku, name: sku, price: CATALOG[sku]!.price, quantity }));
      return { items };
    },
  };
  return { handlers, carts, cartKey };
}
