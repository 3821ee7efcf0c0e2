// One store test suite, run over every backend: SQLite (store.test.ts) and PostgreSQL
// (postgres-store.test.ts). Each case gets a freshly seeded database and a clock it moves by hand.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeadlineExceededError } from "../../reference-store/deadline.js";
import type { Store } from "../../reference-store/store.js";
import { createClock } from "./helpers.js";

export interface StoreHarness {
  store: Store;
  /** Another store over the same database, with its own clock or options. */
  createStore(options: { now?: () => number; checkPrices?: boolean; cartTtlMs?: number }): Store;
  /** Unreserved stock of a product, in its unit, read straight from the database. */
  available(sku: string, storeId?: string): Promise<number>;
  cartCount(): Promise<number>;
  setPrice(storeId: string, sku: string, price: number): Promise<void>;
  /** Takes a product off sale (or back on), as a catalog update does. */
  setActive(sku: string, active: boolean): Promise<void>;
  /** Makes every insert of a cart line for `sku` fail with `message`. */
  failLinesFor(sku: string, message: string): Promise<void>;
  /** Every (store, sku) whose reserved stock is not the sum of its cart lines, or is out of bounds. */
  mismatches(): Promise<unknown[]>;
  close(): Promise<void>;
}

/** Seeds SMALL_CATALOG into a fresh database and opens a store on it with a 60 s cart TTL. */
export type OpenHarness = (clock: ReturnType<typeof createClock>) => Promise<StoreHarness>;

const S1 = { store_id: "store-1", session_id: "alice" } as const;
const add = (sku: string, extra: { quantity?: number; price?: number; session_id?: string; store_id?: string } = {}) =>
  ({ action: "add", ...S1, sku, ...extra }) as const;

export function defineStoreContract(name: string, open: OpenHarness): void {
  describe(name, () => {
    let h: StoreHarness;
    let clock: ReturnType<typeof createClock>;
    let store: Store;
    const cart = async (query: { store_id: string; session_id: string } = S1) => store.cart(query);
    const items = async (query: { store_id: string; session_id: string } = S1) => (await cart(query)).items;

    beforeEach(async () => {
      clock = createClock();
      h = await open(clock);
      store = h.store;
    });
    afterEach(async () => {
      try {
        expect(await h.mismatches()).toEqual([]);
      } finally {
        await h.close();
      }
    });

    describe("store.products()", () => {
      it("answers the store's own price and promo", async () => {
        expect(await store.products({ store_id: "store-1", skus: ["milk"] })).toEqual({
          products: [{ sku: "milk", price: 42.5, in_stock: true, promo_price: 38.9, promo_label: "-8%" }],
        });
        expect(await store.products({ store_id: "store-2", skus: ["milk"] })).toEqual({ products: [{ sku: "milk", price: 40, in_stock: true }] });
      });

      it("omits unknown SKUs and SKUs the store does not sell, keeps request order, drops duplicates", async () => {
        const { products } = await store.products({ store_id: "store-1", skus: ["chips", "nope", "only-store-2", "milk", "chips"] });
        expect(products.map((p) => p.sku)).toEqual(["chips", "milk"]);
      });

      it("reports in_stock false for zero stock and for inactive products", async () => {
        const { products } = await store.products({ store_id: "store-1", skus: ["sold-out", "retired", "last-one"] });
        expect(products.map((p) => [p.sku, p.in_stock])).toEqual([
          ["sold-out", false],
          ["retired", false],
          ["last-one", true],
        ]);
      });

      it("reports in_stock false once every unit is reserved", async () => {
        expect(await store.add(add("last-one"))).toEqual({ ok: true });
        expect((await store.products({ store_id: "store-1", skus: ["last-one"] })).products[0]?.in_stock).toBe(false);
      });

      it("answers nothing, and no error, for ids no database text can hold", async () => {
        expect(await store.products({ store_id: "store-1", skus: ["milk\u0000", "milk"] })).toMatchObject({ products: [{ sku: "milk" }] });
        expect(await store.products({ store_id: "store\u00001", skus: ["milk"] })).toEqual({ products: [] });
      });
    });

    describe("store.add()", () => {
      it("reserves stock and creates the cart line", async () => {
        expect(await store.add(add("milk", { quantity: 3 }))).toEqual({ ok: true });
        expect(await h.available("milk")).toBe(7);
        expect(await items()).toEqual([
          { sku: "milk", name: "Milk 2.5% 1 l", price: 38.9, regular_price: 42.5, promo_price: 38.9, brand: "Lactel", quantity: 3, unit: "pcs" },
        ]);
      });

      it("adds to an existing line instead of replacing it", async () => {
        await store.add(add("milk", { quantity: 2 }));
        await store.add(add("milk", { quantity: 1 }));
        expect((await items())[0]?.quantity).toBe(3);
        expect(await h.available("milk")).toBe(7);
      });

      it("defaults the quantity to 1", async () => {
        await store.add(add("milk"));
        expect((await items())[0]?.quantity).toBe(1);
      });

      it.each([
        ["an unknown SKU", add("nope"), "product_not_found"],
        ["a SKU this store does not sell", add("only-store-2"), "product_not_found"],
        ["an inactive product", add("retired"), "product_not_found"],
        ["a SKU no database text can hold", add("milk\u0000"), "product_not_found"],
        ["zero stock", add("sold-out"), "out_of_stock"],
        ["more than is left", add("milk", { quantity: 11 }), "quantity_exceeded"],
        ["a fraction of a piece", add("milk", { quantity: 1.5 }), "not_multiple_of_1_pcs"],
        ["weight off the 0.1 kg step", add("cheese", { quantity: 0.25 }), "not_multiple_of_0.1_kg"],
        ["more than three decimals", add("cheese", { quantity: 0.3000001 }), "not_multiple_of_0.1_kg"],
        ["weight under the minimum", add("cheese", { quantity: 0.1 }), "below_minimum_0.2_kg"],
        ["over the per-customer limit", add("chips", { quantity: 4 }), "max_3_per_customer"],
        ["a stale price", add("milk", { price: 42.5 }), "price_changed"],
      ])("rejects %s", async (_name, request, reason) => {
        expect(await store.add(request)).toEqual({ ok: false, reason });
        expect(await items()).toEqual([]);
      });

      it("accepts the current effective price, to the kopiyka", async () => {
        expect(await store.add(add("milk", { price: 38.900000000000006 }))).toEqual({ ok: true });
        expect(await store.add(add("chips", { price: 89.9 }))).toEqual({ ok: true });
      });

      it("ignores the quoted price when price checks are off", async () => {
        const lenient = h.createStore({ now: clock.now, checkPrices: false });
        expect(await lenient.add(add("milk", { price: 1 }))).toEqual({ ok: true });
      });

      it("counts what is already in the cart against the per-customer limit", async () => {
        expect(await store.add(add("chips", { quantity: 2 }))).toEqual({ ok: true });
        expect(await store.add(add("chips", { quantity: 2 }))).toEqual({ ok: false, reason: "max_3_per_customer" });
        expect(await store.add(add("chips", { quantity: 1 }))).toEqual({ ok: true });
        expect(await store.add({ ...add("chips", { quantity: 3 }), session_id: "bob" })).toEqual({ ok: true });
      });

      it("sells by weight in exact steps", async () => {
        for (let i = 0; i < 25; i++) expect((await store.add(add("cheese", { quantity: i === 0 ? 0.2 : 0.1 }))).ok).toBe(i < 24);
        expect((await items())[0]?.quantity).toBe(2.5);
        expect(await h.available("cheese")).toBe(0);
        expect(await store.add({ ...add("cheese", { quantity: 0.2 }), session_id: "bob" })).toEqual({ ok: false, reason: "out_of_stock" });
      });

      it("never gives the last unit to two shoppers", async () => {
        expect(await store.add({ ...add("last-one"), session_id: "alice" })).toEqual({ ok: true });
        expect(await store.add({ ...add("last-one"), session_id: "bob" })).toEqual({ ok: false, reason: "out_of_stock" });
      });

      it("keeps carts apart by store and by session", async () => {
        await store.add(add("milk", { quantity: 2 }));
        await store.add(add("milk", { quantity: 1, store_id: "store-2" }));
        expect((await items())[0]?.quantity).toBe(2);
        expect((await items({ store_id: "store-2", session_id: "alice" }))[0]).toMatchObject({ quantity: 1, price: 40, promo_price: null });
        expect(await cart({ store_id: "store-1", session_id: "bob" })).toEqual({ items: [], total: 0 });
        expect(await h.available("milk", "store-2")).toBe(4);
      });
    });

    describe("store.remove()", () => {
      it("releases the line's stock", async () => {
        await store.add(add("milk", { quantity: 4 }));
        expect(await store.remove({ action: "remove", ...S1, sku: "milk" })).toEqual({ ok: true });
        expect(await h.available("milk")).toBe(10);
        expect(await items()).toEqual([]);
      });

      it("answers not_in_cart for a line the cart does not have", async () => {
        await store.add(add("milk"));
        expect(await store.remove({ action: "remove", ...S1, sku: "chips" })).toEqual({ ok: false, reason: "not_in_cart" });
        expect(await store.remove({ action: "remove", ...S1, session_id: "nobody", sku: "milk" })).toEqual({ ok: false, reason: "not_in_cart" });
      });
    });

    describe("store.updateQuantity()", () => {
      const update = (sku: string, quantity: number) => ({ action: "update_quantity", ...S1, sku, quantity }) as const;

      it("reserves more when raised and releases when lowered", async () => {
        await store.add(add("milk", { quantity: 2 }));
        expect(await store.updateQuantity(update("milk", 6))).toEqual({ ok: true });
        expect(await h.available("milk")).toBe(4);
        expect(await store.updateQuantity(update("milk", 1))).toEqual({ ok: true });
        expect(await h.available("milk")).toBe(9);
        expect((await items())[0]?.quantity).toBe(1);
      });

      it.each([
        ["more than is left", "milk", 1, 11, "quantity_exceeded"],
        ["a fraction of a piece", "milk", 1, 2.5, "not_multiple_of_1_pcs"],
        ["over the per-customer limit", "chips", 1, 4, "max_3_per_customer"],
        ["weight under the minimum", "cheese", 0.2, 0.1, "below_minimum_0.2_kg"],
        ["weight off the step", "cheese", 0.2, 0.35, "not_multiple_of_0.1_kg"],
      ])("rejects %s and leaves the line as it was", async (_name, sku, start, quantity, reason) => {
        expect(await store.add(add(sku, { quantity: start }))).toEqual({ ok: true });
        const before = await cart();
        expect(await store.updateQuantity(update(sku, quantity))).toEqual({ ok: false, reason });
        expect(await cart()).toEqual(before);
      });

      it("answers not_in_cart for a line the cart does not have", async () => {
        await store.add(add("milk"));
        expect(await store.updateQuantity(update("chips", 1))).toEqual({ ok: false, reason: "not_in_cart" });
      });

      it("on a product taken off sale while in the cart: product_not_found for more, ok for less", async () => {
        expect(await store.add(add("milk", { quantity: 3 }))).toEqual({ ok: true });
        await h.setActive("milk", false);
        expect(await store.updateQuantity(update("milk", 5))).toEqual({ ok: false, reason: "product_not_found" });
        expect((await items())[0]?.quantity).toBe(3);
        expect(await h.available("milk")).toBe(7);
        expect(await store.updateQuantity(update("milk", 3))).toEqual({ ok: true });
        expect(await store.updateQuantity(update("milk", 1))).toEqual({ ok: true });
        expect((await items())[0]?.quantity).toBe(1);
        expect(await h.available("milk")).toBe(9);
        expect(await store.add(add("milk"))).toEqual({ ok: false, reason: "product_not_found" });
      });

      it("answers out_of_stock when nothing is left to add", async () => {
        await store.add(add("last-one"));
        expect(await store.updateQuantity(update("last-one", 2))).toEqual({ ok: false, reason: "out_of_stock" });
      });
    });

    describe("store.clear()", () => {
      it("empties the cart and releases all of its stock", async () => {
        await store.add(add("milk", { quantity: 3 }));
        await store.add(add("cheese", { quantity: 0.5 }));
        expect(await store.clear({ action: "clear", ...S1 })).toEqual({ ok: true });
        expect(await items()).toEqual([]);
        expect([await h.available("milk"), await h.available("cheese")]).toEqual([10, 2.5]);
      });

      it("is ok on a cart that does not exist", async () => {
        expect(await store.clear({ action: "clear", ...S1, session_id: "nobody" })).toEqual({ ok: true });
      });
    });

    describe("store.cart()", () => {
      it("totals at the effective price, rounded to kopiykas", async () => {
        await store.add(add("milk", { quantity: 3 }));
        await store.add(add("cheese", { quantity: 0.3 }));
        expect((await cart()).total).toBe(Math.round((3 * 38.9 + 0.3 * 359.9) * 100) / 100);
      });

      it("shows the current price, not the price when the line was added", async () => {
        await store.add(add("chips"));
        await h.setPrice("store-1", "chips", 99.9);
        expect((await items())[0]).toMatchObject({ price: 99.9, promo_price: null });
      });
    });

    describe("idle cart expiry", () => {
      it("releases the stock of a cart idle past the TTL, and only then", async () => {
        await store.add(add("last-one"));
        clock.advance(59_999);
        expect(await store.add({ ...add("last-one"), session_id: "bob" })).toEqual({ ok: false, reason: "out_of_stock" });
        clock.advance(1);
        expect(await store.add({ ...add("last-one"), session_id: "bob" })).toEqual({ ok: true });
        expect(await items()).toEqual([]);
        expect(await items({ store_id: "store-1", session_id: "bob" })).toHaveLength(1);
      });

      it("restarts the idle time on every change to the cart", async () => {
        await store.add(add("milk"));
        clock.advance(50_000);
        await store.add(add("chips"));
        clock.advance(50_000);
        expect((await items()).map((i) => i.sku)).toEqual(["milk", "chips"]);
      });

      it("starts an expired cart afresh when its shopper comes back", async () => {
        await store.add(add("chips", { quantity: 3 }));
        clock.advance(60_000);
        expect(await store.add(add("chips", { quantity: 3 }))).toEqual({ ok: true });
        expect(await items()).toMatchObject([{ sku: "chips", quantity: 3 }]);
        expect(await h.available("chips")).toBe(47);
      });

      it("shows an expired cart as empty and frees its stock for the products webhook", async () => {
        await store.add(add("last-one"));
        clock.advance(60_000);
        expect((await store.products({ store_id: "store-1", skus: ["last-one"] })).products[0]?.in_stock).toBe(true);
        expect(await h.cartCount()).toBe(0);
      });

      it("releaseExpiredCarts() reports how many carts expired", async () => {
        await store.add(add("milk"));
        await store.add({ ...add("milk"), session_id: "bob" });
        expect(await store.releaseExpiredCarts()).toBe(0);
        clock.advance(60_000);
        expect(await store.releaseExpiredCarts()).toBe(2);
        expect(await h.available("milk")).toBe(10);
      });
    });

    describe("deadline", () => {
      it("rolls a write back when the deadline passes before commit", async () => {
        await store.add(add("milk", { quantity: 2 }));
        // The clock moves past the deadline while the transaction runs (after its first reading).
        const t1 = clock.now();
        let calls = 0;
        const late = h.createStore({ now: () => (++calls === 1 ? t1 : t1 + 5_000) });
        await expect(async () => late.add(add("milk", { quantity: 3 }), t1 + 4_500)).rejects.toThrow(DeadlineExceededError);
        expect((await items())[0]?.quantity).toBe(2);
        expect(await h.available("milk")).toBe(8);
      });

      it("commits when there is time left", async () => {
        expect(await store.add(add("milk"), clock.now() + 1_000)).toEqual({ ok: true });
      });

      it.each([
        ["remove", (s: Store, d: number) => s.remove({ action: "remove", ...S1, sku: "milk" }, d)],
        ["update_quantity", (s: Store, d: number) => s.updateQuantity({ action: "update_quantity", ...S1, sku: "milk", quantity: 5 }, d)],
        ["clear", (s: Store, d: number) => s.clear({ action: "clear", ...S1 }, d)],
      ])("rolls back %s too", async (_name, write) => {
        await store.add(add("milk", { quantity: 2 }));
        await expect(async () => write(store, clock.now())).rejects.toThrow(DeadlineExceededError);
        expect((await items())[0]?.quantity).toBe(2);
        expect(await h.available("milk")).toBe(8);
      });
    });

    describe("a failing write", () => {
      it("commits nothing: the stock reserved before the failure is rolled back", async () => {
        await h.failLinesFor("chips", "disk on fire");
        await expect(async () => store.add(add("chips", { quantity: 2 }))).rejects.toThrow(/disk on fire/);
        expect(await h.available("chips")).toBe(50);
        expect(await h.cartCount()).toBe(0);
      });
    });
  });
}
