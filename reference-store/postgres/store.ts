import type { Pool, PoolClient, QueryConfig, QueryResultRow } from "pg";
import type {
  CartAddRequest,
  CartClearRequest,
  CartGetQuery,
  CartRemoveRequest,
  CartResponse,
  CartUpdateQuantityRequest,
  ProductsRequest,
  ProductsResponse,
} from "vizochok-merchant-kit";
import { effectivePrice, toProductOffer, toStoreCart, type CartLineRow, type OfferAnswerRow, type StoreCart } from "../answers.js";
import { lineReason, reasons, samePrice, stepReason, stockReason, type ProductRules } from "../cart-rules.js";
import { DeadlineExceededError } from "../deadline.js";
import { toMilli } from "../quantity.js";
import type { Store } from "../store.js";
import { pendingBeforeCommit } from "./change-scope.js";
import { hasNul, inTransaction, sqlState } from "./database.js";

export interface PostgresStoreOptions {
  pool: Pool;
  now?: () => number;
  /** An idle cart (no change for this long) expires and its stock goes back on the shelf. Default 1 h. */
  cartTtlMs?: number;
  /** Answer `price_changed` when the price the agent quoted is not the current one. Default true. */
  checkPrices?: boolean;
  /**
   * Kept back from the webhook's budget for COMMIT and the answer: statements get what is left
   * minus this, and a change still deciding this close to the deadline rolls back. Default 150 ms.
   */
  deadlineMarginMs?: number;
}

/** The PostgreSQL store: every operation answers with a promise. */
export interface PostgresStore extends Store {
  products(request: ProductsRequest): Promise<ProductsResponse>;
  add(request: CartAddRequest, deadline?: number): Promise<CartResponse>;
  remove(request: CartRemoveRequest, deadline?: number): Promise<CartResponse>;
  updateQuantity(request: CartUpdateQuantityRequest, deadline?: number): Promise<CartResponse>;
  clear(request: CartClearRequest, deadline?: number): Promise<CartResponse>;
  cart(query: CartGetQuery): Promise<StoreCart>;
  releaseExpiredCarts(): Promise<number>;
}

interface OfferRow extends ProductRules, OfferAnswerRow {
  is_active: boolean;
}

interface CartStateRow {
  cart_id: number | null;
  updated_at: number | null;
  quantity_milli: number | null;
  any_expired: boolean;
}

/** The cart a change is about, as read after its lock: no cart, or a cart and maybe the line for one SKU. */
interface CartState {
  cartId: number | undefined;
  lineMilli: number | undefined;
}

const ok: CartResponse = { ok: true };
const no = (reason: string): CartResponse => ({ ok: false, reason });

/** Carts released per sweep statement; a sweep repeats until fewer than this expire. */
const SWEEP_BATCH = 200;

// Named statements are prepared once per connection. `$n` parameters only, never interpolation.
const sql = {
  // The per-cart lock. READ COMMITTED does not serialise writers the way SQLite's BEGIN IMMEDIATE
  // does; this transaction-scoped lock does, for one shopper's cart. It must be a statement of its
  // own: every later statement then reads a snapshot taken after the lock was granted.
  lockCart: "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))",
  budget: "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $1, true)",
  cartState: `
    SELECT c.cart_id, c.updated_at, l.quantity_milli, EXISTS (SELECT 1 FROM carts e WHERE e.updated_at <= $4) AS any_expired
    FROM (VALUES (1)) AS one (x)
    LEFT JOIN carts c ON c.store_id = $1 AND c.session_id = $2
    LEFT JOIN cart_lines l ON l.cart_id = c.cart_id AND l.sku = $3`,
  offer: `
    SELECT p.sku, p.unit, p.quantity_step_milli, p.min_quantity_milli, p.max_per_customer_milli, p.is_active,
      pr.price, pr.promo_price, pr.promo_label, s.on_hand_milli - s.reserved_milli AS available_milli
    FROM products p
    JOIN prices pr ON pr.sku = p.sku AND pr.store_id = $1
    JOIN stock s ON s.sku = p.sku AND s.store_id = $1
    WHERE p.sku = $2`,
  // Conditional: a reservation that would break the CHECK updates nothing instead of failing.
  reserve: `
    UPDATE stock SET reserved_milli = reserved_milli + $3
    WHERE store_id = $1 AND sku = $2 AND on_hand_milli - reserved_milli >= $3`,
  available: "SELECT on_hand_milli - reserved_milli AS available_milli FROM stock WHERE store_id = $1 AND sku = $2",
  release: "UPDATE stock SET reserved_milli = reserved_milli - $3 WHERE store_id = $1 AND sku = $2",
  addToLine: `
    WITH cart AS (
      INSERT INTO carts (store_id, session_id, created_at, updated_at) VALUES ($1, $2, $5, $5)
      ON CONFLICT (store_id, session_id) DO UPDATE SET updated_at = EXCLUDED.updated_at
      RETURNING cart_id)
    INSERT INTO cart_lines (cart_id, sku, quantity_milli, added_at) SELECT cart_id, $3, $4, $5 FROM cart
    ON CONFLICT (cart_id, sku) DO UPDATE SET quantity_milli = cart_lines.quantity_milli + EXCLUDED.quantity_milli`,
  setLine: `
    WITH touched AS (UPDATE carts SET updated_at = $4 WHERE cart_id = $1)
    UPDATE cart_lines SET quantity_milli = $3 WHERE cart_id = $1 AND sku = $2`,
  removeLine: `
    WITH gone AS (DELETE FROM cart_lines WHERE cart_id = $1 AND sku = $2 RETURNING quantity_milli),
      touched AS (UPDATE carts SET updated_at = $4 WHERE cart_id = $1)
    UPDATE stock SET reserved_milli = reserved_milli - gone.quantity_milli FROM gone WHERE store_id = $3 AND stock.sku = $2`,
  // Releasing several lines at once locks their stock rows in one order (store, SKU) first, so two
  // releases (a clear and a sweep, say) cannot deadlock each other.
  lockCartsStock: `
    SELECT 1 FROM stock s
    JOIN carts c ON c.store_id = s.store_id JOIN cart_lines l ON l.cart_id = c.cart_id AND l.sku = s.sku
    WHERE c.cart_id = ANY($1::bigint[])
    ORDER BY s.store_id, s.sku FOR UPDATE OF s`,
  // Every sub-statement sees the same snapshot, so `lines` reads the lines the cascade deletes.
  releaseCarts: `
    WITH gone AS (DELETE FROM carts WHERE cart_id = ANY($1::bigint[]) AND updated_at <= $2 RETURNING cart_id, store_id),
      lines AS (
        SELECT g.store_id, l.sku, SUM(l.quantity_milli) AS milli FROM gone g JOIN cart_lines l ON l.cart_id = g.cart_id
        GROUP BY g.store_id, l.sku),
      released AS (
        UPDATE stock s SET reserved_milli = s.reserved_milli - lines.milli FROM lines
        WHERE s.store_id = lines.store_id AND s.sku = lines.sku RETURNING 1)
    SELECT COUNT(*)::integer AS carts FROM gone`,
  // A sweeper takes each expired cart's own lock without waiting: a cart being changed right now
  // is skipped (its change handles it), and of two sweepers only one gets any given cart.
  claimExpired: `
    WITH candidates AS MATERIALIZED (
      SELECT cart_id, store_id, session_id FROM carts WHERE updated_at <= $1 ORDER BY updated_at LIMIT $2)
    SELECT cart_id FROM candidates WHERE pg_try_advisory_xact_lock(hashtextextended(store_id || chr(31) || session_id, 0))`,
  // The request's order, one index lookup per SKU, never a scan of the catalog.
  offers: `
    SELECT p.sku, p.is_active, p.min_quantity_milli, pr.price, pr.promo_price, pr.promo_label,
      s.on_hand_milli - s.reserved_milli AS available_milli,
      EXISTS (SELECT 1 FROM carts WHERE updated_at <= $3) AS any_expired
    FROM unnest($2::text[]) WITH ORDINALITY AS r (sku, ord)
    JOIN products p ON p.sku = r.sku
    JOIN prices pr ON pr.store_id = $1 AND pr.sku = r.sku
    JOIN stock s ON s.store_id = $1 AND s.sku = r.sku
    ORDER BY r.ord`,
  cartItems: `
    SELECT l.sku, p.name, pr.price AS regular_price, pr.promo_price, p.brand, l.quantity_milli, p.unit
    FROM carts c JOIN cart_lines l USING (cart_id) JOIN products p ON p.sku = l.sku
    JOIN prices pr ON pr.store_id = c.store_id AND pr.sku = l.sku
    WHERE c.store_id = $1 AND c.session_id = $2 AND c.updated_at > $3
    ORDER BY l.line_id`,
} as const;

type Statement = keyof typeof sql;

function statement(name: Statement, values: unknown[]): QueryConfig {
  return { name: `store.${name}`, text: sql[name], values };
}

/**
 * The reference store over PostgreSQL, for several instances on one database. Same rules and the
 * same answers as the SQLite store; what differs is how a change is kept safe:
 *
 * - each change is one transaction that first takes an advisory lock on its cart, so one
 *   shopper's changes run one at a time whichever instance receives them;
 * - stock is reserved by a conditional UPDATE (and a CHECK), so two shoppers never both get the
 *   last unit; releases of several lines lock their stock rows in order;
 * - the statements get what is left of the webhook's budget (`statement_timeout`,
 *   `lock_timeout`): a change that cannot finish in time rolls back and throws
 *   `DeadlineExceededError`, and nothing is committed.
 *
 * @example
 * const store = createPostgresStore({ pool: openPool(process.env.DATABASE_URL!) });
 * await store.add({ action: "add", store_id: "store-1", session_id: "s1", sku: "milk-001" });
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const { pool } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.cartTtlMs ?? 60 * 60 * 1000;
  const checkPrices = options.checkPrices ?? true;
  const marginMs = options.deadlineMarginMs ?? 150;

  async function query<R extends QueryResultRow>(db: Pool | PoolClient, name: Statement, values: unknown[]) {
    return db.query<R>(statement(name, values));
  }

  /** Releases the stock of these carts and deletes them, if they are still expired. */
  async function releaseCarts(tx: PoolClient, cartIds: number[], cutoff: number): Promise<number> {
    if (cartIds.length === 0) return 0;
    await query(tx, "lockCartsStock", [cartIds]);
    const { rows } = await query<{ carts: number }>(tx, "releaseCarts", [cartIds, cutoff]);
    return rows[0]!.carts;
  }

  /** Releases up to a batch of expired carts inside `tx`; returns how many. */
  async function sweep(tx: PoolClient, cutoff: number): Promise<{ released: number; more: boolean }> {
    const { rows } = await query<{ cart_id: number }>(tx, "claimExpired", [cutoff, SWEEP_BATCH]);
    const released = await releaseCarts(tx, rows.map((row) => row.cart_id), cutoff);
    return { released, more: rows.length === SWEEP_BATCH };
  }

  /**
   * One transaction: budget, cart lock, decide, the caller's before-commit work, COMMIT. Retried
   * after a deadlock while time is left.
   */
  async function write(key: { store_id: string; session_id: string }, deadline: number | undefined, decide: (tx: PoolClient, at: number) => Promise<CartResponse>): Promise<CartResponse> {
    for (;;) {
      const tx = await pool.connect();
      let broken: Error | undefined;
      try {
        const answer = await attempt(tx);
        return answer;
      } catch (error) {
        // Stryker disable next-line BlockStatement: equivalent, ROLLBACK fails only on a dead connection, which pg-pool's release drops anyway (!client._queryable)
        await tx.query("ROLLBACK").catch((rollbackFailed: unknown) => {
          broken = rollbackFailed instanceof Error ? rollbackFailed : new Error(String(rollbackFailed));
        });
        const state = sqlState(error);
        // 57014: statement_timeout, 55P03: lock_timeout — the budget ran out inside the database.
        if (deadline !== undefined && (state === "57014" || state === "55P03")) throw new DeadlineExceededError(deadline);
        // 40P01: PostgreSQL broke a deadlock by aborting this transaction; run it again while time is left.
        if (state === "40P01") {
          if (deadline === undefined || deadline - now() > marginMs) continue;
          throw new DeadlineExceededError(deadline);
        }
        throw error;
      } finally {
        tx.release(broken);
      }
    }

    async function attempt(tx: PoolClient): Promise<CartResponse> {
      const left = deadline === undefined ? undefined : deadline - now() - marginMs;
      if (left !== undefined && left <= 0) throw new DeadlineExceededError(deadline!);
      await tx.query("BEGIN");
      if (left !== undefined) await query(tx, "budget", [String(Math.ceil(left))]);
      await query(tx, "lockCart", [key.store_id, key.session_id]);
      const at = now();
      const answer = await decide(tx, at);
      for (const work of pendingBeforeCommit()) await work(tx, answer);
      if (deadline !== undefined && now() >= deadline - marginMs / 2) throw new DeadlineExceededError(deadline);
      await tx.query("COMMIT");
      return answer;
    }
  }

  /** The cart (and the line for `sku`) after the lock; expired carts are released first. */
  async function cartState(tx: PoolClient, storeId: string, sessionId: string, sku: string | null, at: number): Promise<CartState> {
    const cutoff = at - ttlMs;
    const read = async () => (await query<CartStateRow>(tx, "cartState", [storeId, sessionId, sku, cutoff])).rows[0]!;
    let row = await read();
    if (row.any_expired) {
      // Like the SQLite store: a change first returns expired carts' stock to the shelf.
      const { more } = await sweep(tx, cutoff);
      // Our own cart is locked by us, so the sweep could take it, unless the batch was full.
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent when loosened, releaseCarts deletes only a cart still expired, and [NULL] matches none
      if (more && row.cart_id !== null && row.updated_at !== null && row.updated_at <= cutoff) await releaseCarts(tx, [row.cart_id], cutoff);
      row = await read();
    }
    return { cartId: row.cart_id ?? undefined, lineMilli: row.quantity_milli ?? undefined };
  }

  async function offer(tx: PoolClient, storeId: string, sku: string): Promise<OfferRow | undefined> {
    return (await query<OfferRow>(tx, "offer", [storeId, sku])).rows[0];
  }

  /** Takes `milli` more off the shelf, or says why not. */
  async function reserve(tx: PoolClient, storeId: string, sku: string, milli: number): Promise<string | undefined> {
    if ((await query(tx, "reserve", [storeId, sku, milli])).rowCount === 1) return undefined;
    const { rows } = await query<{ available_milli: number }>(tx, "available", [storeId, sku]);
    return stockReason(rows[0]?.available_milli ?? 0, milli) ?? "quantity_exceeded";
  }

  /**
   * Releases expired carts in batches, each its own transaction; returns how many. A batch that
   * PostgreSQL aborts to break a deadlock (40P01) runs again: a change locks the stock rows of the
   * carts its own sweep took, then its SKU's row, which can be out of this sweep's order.
   */
  async function releaseExpiredCarts(): Promise<number> {
    let total = 0;
    for (;;) {
      try {
        const { released, more } = await inTransaction(pool, (tx) => sweep(tx, now() - ttlMs));
        total += released;
        if (!more) return total;
      } catch (error) {
        if (sqlState(error) !== "40P01") throw error;
      }
    }
  }

  return {
    async products(request) {
      const skus = [...new Set(request.skus)].filter((sku) => !hasNul(sku));
      if (hasNul(request.store_id) || skus.length === 0) return { products: [] };
      const read = () => query<OfferRow & { any_expired: boolean }>(pool, "offers", [request.store_id, skus, now() - ttlMs]);
      let { rows } = await read();
      // Like the SQLite store: expired carts' stock goes back on the shelf before it is reported.
      if (rows[0]?.any_expired === true) {
        await releaseExpiredCarts();
        ({ rows } = await read());
      }
      return { products: rows.map(toProductOffer) };
    },

    async add(request, deadline) {
      // U+0000 cannot be stored in PostgreSQL text: no such product or store exists.
      if (hasNul(request.store_id, request.sku)) return no("product_not_found");
      if (hasNul(request.session_id)) return no("missing_params");
      return write(request, deadline, async (tx, at) => {
        const found = await offer(tx, request.store_id, request.sku);
        if (found === undefined || !found.is_active) return no("product_not_found");
        const asked = toMilli(request.quantity ?? 1);
        const badStep = stepReason(found, asked);
        if (badStep !== undefined) return no(badStep);
        // stepReason names a reason for a quantity toMilli could not read: from here on it is one.
        const milli = asked!;
        if (checkPrices && request.price !== undefined && !samePrice(request.price, effectivePrice(found))) {
          return no(reasons.priceChanged);
        }
        const { lineMilli } = await cartState(tx, request.store_id, request.session_id, request.sku, at);
        const badLine = lineReason(found, (lineMilli ?? 0) + milli);
        if (badLine !== undefined) return no(badLine);
        const short = await reserve(tx, request.store_id, request.sku, milli);
        if (short !== undefined) return no(short);
        await query(tx, "addToLine", [request.store_id, request.session_id, request.sku, milli, at]);
        return ok;
      });
    },

    async remove(request, deadline) {
      if (hasNul(request.store_id, request.session_id, request.sku)) return no("not_in_cart");
      return write(request, deadline, async (tx, at) => {
        const { cartId, lineMilli } = await cartState(tx, request.store_id, request.session_id, request.sku, at);
        // A line is only ever in a cart: with a line, cartId is set too.
        if (lineMilli === undefined) return no("not_in_cart");
        await query(tx, "removeLine", [cartId, request.sku, request.store_id, at]);
        return ok;
      });
    },

    async updateQuantity(request, deadline) {
      if (hasNul(request.store_id, request.session_id, request.sku)) return no("not_in_cart");
      return write(request, deadline, async (tx, at) => {
        const { cartId, lineMilli } = await cartState(tx, request.store_id, request.session_id, request.sku, at);
        if (lineMilli === undefined) return no("not_in_cart");
        const found = await offer(tx, request.store_id, request.sku);
        if (found === undefined) return no("product_not_found");
        const asked = toMilli(request.quantity);
        const badStep = stepReason(found, asked);
        if (badStep !== undefined) return no(badStep);
        const milli = asked!;
        const badLine = lineReason(found, milli);
        if (badLine !== undefined) return no(badLine);
        const more = milli - lineMilli;
        if (more > 0) {
          if (!found.is_active) return no("product_not_found");
          const short = await reserve(tx, request.store_id, request.sku, more);
          if (short !== undefined) return no(short);
        } else if (more < 0) {
          await query(tx, "release", [request.store_id, request.sku, -more]);
        }
        await query(tx, "setLine", [cartId, request.sku, milli, at]);
        return ok;
      });
    },

    async clear(request, deadline) {
      if (hasNul(request.store_id, request.session_id)) return ok;
      return write(request, deadline, async (tx, at) => {
        const { cartId } = await cartState(tx, request.store_id, request.session_id, null, at);
        // Any cart, expired or not: the cutoff is "now or earlier".
        if (cartId !== undefined) await releaseCarts(tx, [cartId], Number.MAX_SAFE_INTEGER);
        return ok;
      });
    },

    async cart(query_) {
      if (hasNul(query_.store_id, query_.session_id)) return { items: [], total: 0 };
      const { rows } = await query<CartLineRow>(pool, "cartItems", [query_.store_id, query_.session_id, now() - ttlMs]);
      return toStoreCart(rows);
    },

    releaseExpiredCarts,
  };
}
