import type { Database } from "better-sqlite3";
import type {
  CartAddRequest,
  CartClearRequest,
  CartGetQuery,
  CartRemoveRequest,
  CartResponse,
  CartUpdateQuantityRequest,
  ProductOffer,
  ProductsRequest,
  ProductsResponse,
} from "vizochok-merchant-kit";
import { effectivePrice, toProductOffer, toStoreCart, type CartLineRow, type OfferAnswerRow, type StoreCart } from "./answers.js";
import { lineReason, reasons, samePrice, stepReason, stockReason, type ProductRules } from "./cart-rules.js";
import { DeadlineExceededError } from "./deadline.js";
import type { MaybePromise } from "./maybe-promise.js";
import { toMilli } from "./quantity.js";
import { createReadCache } from "./read-cache.js";

export interface StoreOptions {
  db: Database;
  now?: () => number;
  /** An idle cart (no change for this long) expires and its stock goes back on the shelf. Default 1 h. */
  cartTtlMs?: number;
  /** Answer `price_changed` when the price the agent quoted is not the current one. Default true. */
  checkPrices?: boolean;
}

export type { StoreCart, StoreCartItem } from "./answers.js";

/**
 * The store's operations, whatever the database. Each may answer with a value or a promise: the
 * SQLite store (`createStore`) answers synchronously, the PostgreSQL store
 * (`createPostgresStore`) with promises. Writes take the webhook's deadline (epoch ms); past it,
 * they roll back instead of committing and throw `DeadlineExceededError`.
 */
export interface Store {
  products(request: ProductsRequest): MaybePromise<ProductsResponse>;
  add(request: CartAddRequest, deadline?: number): MaybePromise<CartResponse>;
  remove(request: CartRemoveRequest, deadline?: number): MaybePromise<CartResponse>;
  updateQuantity(request: CartUpdateQuantityRequest, deadline?: number): MaybePromise<CartResponse>;
  clear(request: CartClearRequest, deadline?: number): MaybePromise<CartResponse>;
  cart(query: CartGetQuery): MaybePromise<StoreCart>;
  /** Releases the stock of carts idle for longer than the TTL; returns how many expired. */
  releaseExpiredCarts(): MaybePromise<number>;
}

/** The SQLite store: every operation answers synchronously. */
export interface SqliteStore extends Store {
  products(request: ProductsRequest): ProductsResponse;
  add(request: CartAddRequest, deadline?: number): CartResponse;
  remove(request: CartRemoveRequest, deadline?: number): CartResponse;
  updateQuantity(request: CartUpdateQuantityRequest, deadline?: number): CartResponse;
  clear(request: CartClearRequest, deadline?: number): CartResponse;
  cart(query: CartGetQuery): StoreCart;
  releaseExpiredCarts(): number;
}

interface OfferRow extends ProductRules {
  sku: string;
  is_active: 0 | 1;
  price: number;
  promo_price: number | null;
  promo_label: string | null;
  available_milli: number;
}

interface CartSession {
  store_id: string;
  session_id: string;
}

const isShortfall = (answer: CartResponse) => !answer.ok && (answer.reason === "out_of_stock" || answer.reason === "quantity_exceeded");

/** A products row as the JSON array SQLite builds: the fields of `OfferAnswerRow`, in order. */
type OfferTuple = [sku: string, is_active: 0 | 1, min_quantity_milli: number, price: number, promo_price: number | null, promo_label: string | null, available_milli: number];

const fromTuple = ([sku, is_active, min_quantity_milli, price, promo_price, promo_label, available_milli]: OfferTuple): OfferAnswerRow => ({
  sku,
  is_active,
  min_quantity_milli,
  price,
  promo_price,
  promo_label,
  available_milli,
});

interface LineRow {
  cart_id: number;
  quantity_milli: number;
}

/**
 * A change, a products webhook or a cart GET releases at most this many other shoppers' expired
 * carts, oldest first; the rest go with the next ones. Releasing all at once made the first change after a quiet hour pay for
 * every cart that expired meanwhile (3,000 carts: 111 ms of CPU in one request; with batches of
 * 32, each of the next adds takes 1–2 ms).
 */
const RELEASE_BATCH = 32;

const ok: CartResponse = { ok: true };
const no = (reason: string): CartResponse => ({ ok: false, reason });

/**
 * The store's catalog, stock and carts over SQLite. Every cart change is one short IMMEDIATE
 * transaction: read, decide, reserve or release stock, write the line — so two shoppers (or two
 * processes) can never both take the last unit.
 *
 * @example
 * const store = createStore({ db: openDatabase(":memory:") });
 * store.add({ action: "add", store_id: "store-1", session_id: "s1", sku: "milk-001" });
 */
export function createStore(options: StoreOptions): SqliteStore {
  const { db } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.cartTtlMs ?? 60 * 60 * 1000;
  const checkPrices = options.checkPrices ?? true;

  const offerColumns = `p.sku, p.unit, p.quantity_step_milli, p.min_quantity_milli, p.max_per_customer_milli,
    p.is_active, pr.price, pr.promo_price, pr.promo_label, s.on_hand_milli - s.reserved_milli AS available_milli`;
  const offerJoins = `JOIN prices pr ON pr.sku = p.sku AND pr.store_id = @store_id
    JOIN stock s ON s.sku = p.sku AND s.store_id = @store_id`;
  const statements = {
    // CROSS JOIN pins the loop order: walk the requested SKUs and look each one up. Left to itself
    // the planner scans every price in the store and searches the SKU list for each (20× slower).
    // The rows leave SQLite as one JSON string of arrays: better-sqlite3 builds a row object one
    // property at a time through V8's API, which cost more than the query, while one JSON.parse is
    // cheap. (SQLite writes a REAL with 17 significant digits: every price parses back the same.)
    offerAnswers: db.prepare<{ store_id: string; skus: string }, string>(`
      SELECT json_group_array(json_array(p.sku, p.is_active, p.min_quantity_milli, pr.price, pr.promo_price, pr.promo_label,
        s.on_hand_milli - s.reserved_milli))
      FROM json_each(@skus) j CROSS JOIN products p ON p.sku = j.value ${offerJoins.replaceAll("JOIN", "CROSS JOIN")}`).pluck(),
    offer: db.prepare<{ store_id: string; sku: string }, OfferRow>(
      `SELECT ${offerColumns} FROM products p ${offerJoins} WHERE p.sku = @sku`,
    ),
    cartId: db.prepare<[string, string], number>("SELECT cart_id FROM carts WHERE store_id = ? AND session_id = ?").pluck(),
    line: db.prepare<[string, string, string], LineRow>(`
      SELECT l.cart_id, l.quantity_milli FROM carts c JOIN cart_lines l USING (cart_id)
      WHERE c.store_id = ? AND c.session_id = ? AND l.sku = ?`),
    openCart: db.prepare<[string, string, number, number], number>(`
      INSERT INTO carts (store_id, session_id, created_at, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (store_id, session_id) DO UPDATE SET updated_at = excluded.updated_at
      RETURNING cart_id`).pluck(),
    touchCart: db.prepare<[number, number]>("UPDATE carts SET updated_at = ? WHERE cart_id = ?"),
    addToLine: db.prepare<[number, string, number, number]>(`
      INSERT INTO cart_lines (cart_id, sku, quantity_milli, added_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (cart_id, sku) DO UPDATE SET quantity_milli = quantity_milli + excluded.quantity_milli`),
    setLine: db.prepare<[number, number, string]>("UPDATE cart_lines SET quantity_milli = ? WHERE cart_id = ? AND sku = ?"),
    deleteLine: db.prepare<[number, string]>("DELETE FROM cart_lines WHERE cart_id = ? AND sku = ?"),
    // The guard in WHERE repeats the CHECK constraint so a lost race shows up as `changes === 0`.
    reserve: db.prepare<{ store_id: string; sku: string; milli: number }>(`
      UPDATE stock SET reserved_milli = reserved_milli + @milli
      WHERE store_id = @store_id AND sku = @sku AND on_hand_milli - reserved_milli >= @milli`),
    release: db.prepare<{ store_id: string; sku: string; milli: number }>(
      "UPDATE stock SET reserved_milli = reserved_milli - @milli WHERE store_id = @store_id AND sku = @sku",
    ),
    // Stock rows by their key, one per line. Written as UPDATE … FROM, the planner walked every
    // stock row of the cart's store and looked each up in the cart's lines: 241 rows to release
    // a 3-line cart on the fixture catalog, and as many more as a catalog has offers.
    releaseCart: db.prepare<{ cart_id: number }>(`
      UPDATE stock SET reserved_milli = reserved_milli - (SELECT quantity_milli FROM cart_lines WHERE cart_id = @cart_id AND sku = stock.sku)
      WHERE store_id = (SELECT store_id FROM carts WHERE cart_id = @cart_id)
        AND sku IN (SELECT sku FROM cart_lines WHERE cart_id = @cart_id)`),
    deleteCart: db.prepare<[number]>("DELETE FROM carts WHERE cart_id = ?"),
    // LIMIT -1 is no limit.
    expiredCarts: db.prepare<[number, number], number>("SELECT cart_id FROM carts WHERE updated_at <= ? ORDER BY updated_at LIMIT ?").pluck(),
    expiredCart: db
      .prepare<[string, string, number], number>("SELECT cart_id FROM carts WHERE store_id = ? AND session_id = ? AND updated_at <= ?")
      .pluck(),
    oldestCart: db.prepare<[], number | null>("SELECT min(updated_at) FROM carts").pluck(),
    cartItems: db.prepare<[string, string, number], CartLineRow>(`
      SELECT l.sku, p.name, pr.price AS regular_price, pr.promo_price, p.brand, l.quantity_milli, p.unit
      FROM carts c JOIN cart_lines l USING (cart_id) JOIN products p ON p.sku = l.sku
      JOIN prices pr ON pr.store_id = c.store_id AND pr.sku = l.sku
      WHERE c.store_id = ? AND c.session_id = ? AND c.updated_at > ?
      ORDER BY l.line_id`),
  };

  function releaseCart(cartId: number): void {
    statements.releaseCart.run({ cart_id: cartId });
    statements.deleteCart.run(cartId);
  }

  /** Releases the carts idle since before `at` less the TTL, oldest first, at most `limit` (-1: all). */
  function releaseExpired(at: number, limit = -1): number {
    const expired = statements.expiredCarts.all(at - ttlMs, limit);
    for (const cartId of expired) releaseCart(cartId);
    return expired.length;
  }

  const releaseExpiredTransaction = db.transaction((limit: number) => releaseExpired(now(), limit));

  // No cart can expire before the oldest one does, and carts only ever get newer (a write stamps
  // the current time), so until then a read needs no look at the carts table at all.
  let nextExpiryAt = -Infinity;

  /**
   * Reads only pay for a write transaction when something has actually expired. Releases at most
   * `limit` carts, oldest first (-1: all); returns how many.
   */
  function releaseExpiredBeforeRead(limit = -1): number {
    const at = now();
    if (at < nextExpiryAt) return 0;
    const oldest = statements.oldestCart.get() ?? null;
    if (oldest === null || oldest + ttlMs > at) {
      nextExpiryAt = oldest === null ? at + ttlMs : oldest + ttlMs;
      return 0;
    }
    nextExpiryAt = -Infinity;
    return releaseExpiredTransaction.immediate(limit);
  }

  /**
   * One change: the shopper's own cart, if expired, goes first (the change starts afresh), then a
   * batch of other expired carts. Stock that expired carts still hold counts as free, so when the
   * answer is a shortfall and carts may be left over, they are all released and the change
   * decided again (a shortfall wrote nothing). The answers are those of releasing everything first.
   */
  const writeTransaction = db.transaction(
    (shopper: CartSession, deadline: number | undefined, decide: (at: number) => CartResponse) => {
      const at = now();
      const own = statements.expiredCart.get(shopper.store_id, shopper.session_id, at - ttlMs);
      if (own !== undefined) releaseCart(own);
      const more = releaseExpired(at, RELEASE_BATCH) === RELEASE_BATCH;
      let answer = decide(at);
      if (more && isShortfall(answer)) {
        releaseExpired(at);
        answer = decide(at);
      }
      if (deadline !== undefined && now() >= deadline) throw new DeadlineExceededError(deadline);
      return answer;
    },
  );
  const write = (shopper: CartSession, deadline: number | undefined, decide: (at: number) => CartResponse): CartResponse =>
    writeTransaction.immediate(shopper, deadline, decide);

  /** Takes `milli` more off the shelf, or says why not. */
  function reserve(storeId: string, offer: OfferRow, milli: number): string | undefined {
    const short = stockReason(offer.available_milli, milli);
    if (short !== undefined) return short;
    if (statements.reserve.run({ store_id: storeId, sku: offer.sku, milli }).changes !== 1) return "quantity_exceeded";
    return undefined;
  }

  function loadOffers(storeId: string, skus: string[]): Map<string, OfferAnswerRow> {
    const found = new Map<string, OfferAnswerRow>();
    for (const row of JSON.parse(statements.offerAnswers.get({ store_id: storeId, skus: JSON.stringify(skus) })!) as OfferTuple[]) {
      found.set(row[0], fromTuple(row));
    }
    return found;
  }

  // Prices, promotions and stock as last read, until anything in the database changes: a cart
  // change in this process or another, a price update, an audit batch. See read-cache.ts.
  const offers = createReadCache<OfferAnswerRow>(db);

  /** The offers asked for, in the order asked, unknown SKUs left out. */
  function answerProducts(request: ProductsRequest): ProductsResponse {
    const products: ProductOffer[] = [];
    for (const row of offers.read(request.store_id, [...new Set(request.skus)], loadOffers)) {
      if (row !== undefined) products.push(toProductOffer(row));
    }
    return { products };
  }

  return {
    products(request) {
      // A batch, as a change releases. Stock that expired carts still hold counts as free, so an
      // offer that reads out of stock while some are left releases them all and is read again:
      // the answer is the one releasing them all first would give.
      const more = releaseExpiredBeforeRead(RELEASE_BATCH) === RELEASE_BATCH;
      const answer = answerProducts(request);
      if (!more || answer.products.every((offer) => offer.in_stock)) return answer;
      releaseExpiredBeforeRead();
      return answerProducts(request);
    },

    add(request, deadline) {
      return write(request, deadline, (at) => {
        const offer = statements.offer.get({ store_id: request.store_id, sku: request.sku });
        if (offer === undefined || offer.is_active === 0) return no("product_not_found");
        const milli = toMilli(request.quantity ?? 1);
        const badStep = stepReason(offer, milli);
        if (badStep !== undefined || milli === undefined) return no(badStep ?? reasons.notMultipleOf(offer));
        if (checkPrices && request.price !== undefined && !samePrice(request.price, effectivePrice(offer))) {
          return no(reasons.priceChanged);
        }
        const line = statements.line.get(request.store_id, request.session_id, request.sku);
        const badLine = lineReason(offer, (line?.quantity_milli ?? 0) + milli);
        if (badLine !== undefined) return no(badLine);
        const short = reserve(request.store_id, offer, milli);
        if (short !== undefined) return no(short);
        const cartId = statements.openCart.get(request.store_id, request.session_id, at, at)!;
        statements.addToLine.run(cartId, request.sku, milli, at);
        return ok;
      });
    },

    remove(request, deadline) {
      return write(request, deadline, (at) => {
        const line = statements.line.get(request.store_id, request.session_id, request.sku);
        if (line === undefined) return no("not_in_cart");
        statements.release.run({ store_id: request.store_id, sku: request.sku, milli: line.quantity_milli });
        statements.deleteLine.run(line.cart_id, request.sku);
        statements.touchCart.run(at, line.cart_id);
        return ok;
      });
    },

    updateQuantity(request, deadline) {
      return write(request, deadline, (at) => {
        const line = statements.line.get(request.store_id, request.session_id, request.sku);
        if (line === undefined) return no("not_in_cart");
        const offer = statements.offer.get({ store_id: request.store_id, sku: request.sku });
        if (offer === undefined) return no("product_not_found");
        const milli = toMilli(request.quantity);
        const badStep = stepReason(offer, milli);
        if (badStep !== undefined || milli === undefined) return no(badStep ?? reasons.notMultipleOf(offer));
        const badLine = lineReason(offer, milli);
        if (badLine !== undefined) return no(badLine);
        const more = milli - line.quantity_milli;
        if (more > 0) {
          if (offer.is_active === 0) return no("product_not_found");
          const short = reserve(request.store_id, offer, more);
          if (short !== undefined) return no(short);
        } else if (more < 0) {
          statements.release.run({ store_id: request.store_id, sku: request.sku, milli: -more });
        }
        statements.setLine.run(milli, line.cart_id, request.sku);
        statements.touchCart.run(at, line.cart_id);
        return ok;
      });
    },

    clear(request, deadline) {
      return write(request, deadline, () => {
        const cartId = statements.cartId.get(request.store_id, request.session_id);
        if (cartId !== undefined) releaseCart(cartId);
        return ok;
      });
    },

    cart(query) {
      // The query leaves expired carts out, released or not: a batch keeps the read short.
      releaseExpiredBeforeRead(RELEASE_BATCH);
      return toStoreCart(statements.cartItems.all(query.store_id, query.session_id, now() - ttlMs));
    },

    releaseExpiredCarts: () => releaseExpiredBeforeRead(),
  };
}
