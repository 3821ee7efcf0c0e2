import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../reference-store/database.js";
import { DeadlineExceededError } from "../../reference-store/deadline.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { createStore, type Store } from "../../reference-store/store.js";
import { SMALL_CATALOG, createClock, reservationMismatches } from "./helpers.js";

const S1 = { store_id: "store-1", session_id: "alice" } as const;
const add = (sku: string, extra: { quantity?: number; price?: number; session_id?: string; store_id?: string } = {}) =>
  ({ action: "add", ...S1, sku, ...extra }) as const;

let db: Database;
let clock: ReturnType<typeof createClock>;
let store: Store;

const available = (sku: string, storeId = "store-1") =>
  db.prepare("SELECT (on_hand_milli - reserved_milli) / 1000.0 FROM stock WHERE store_id = ? AND sku = ?").pluck().get(storeId, sku);

beforeEach(() => {
  db = openDatabase(":memory:");
  seedCatalog(db, SMALL_CATALOG);
  clock = createClock();
  store = createStore({ db, now: clock.now, cartTtlMs: 60_000 });
});
afterEach(() => {
  expect(reservationMismatches(db)).toEqual([]);
  db.close();
});

describe("store.products()", () => {
  it("answers the store's own price and promo", () => {
    expect(store.products({ store_id: "store-1", skus: ["milk"] })).toEqual({
      products: [{ sku: "milk", price: 42.5, in_stock: true, promo_price: 38.9, promo_label: "-8%" }],
    });
    expect(store.products({ store_id: "store-2", skus: ["milk"] })).toEqual({ products: [{ sku: "milk", price: 40, in_stock: true }] });
  });

  it("omits unknown SKUs and SKUs the store does not sell, keeps request order, drops duplicates", () => {
    const { products } = store.products({ store_id: "store-1", skus: ["chips", "nope", "only-store-2", "milk", "chips"] });
    expect(products.map((p) => p.sku)).toEqual(["chips", "milk"]);
  });

  it("reports in_stock false for zero stock and for inactive products", () => {
    const { products } = store.products({ store_id: "store-1", skus: ["sold-out", "retired", "last-one"] });
    expect(products.map((p) => [p.sku, p.in_stock])).toEqual([
      ["sold-out", false],
      ["retired", false],
      ["last-one", true],
    ]);
  });

  it("reports in_stock false once every unit is reserved", () => {
    expect(store.add(add("last-one"))).toEqual({ ok: true });
    expect(store.products({ store_id: "store-1", skus: ["last-one"] }).products[0]?.in_stock).toBe(false);
  });
});

describe("store.add()", () => {
  it("reserves stock and creates the cart line", () => {
    expect(store.add(add("milk", { quantity: 3 }))).toEqual({ ok: true });
    expect(available("milk")).toBe(7);
    expect(store.cart(S1).items).toEqual([
      { sku: "milk", name: "Milk 2.5% 1 l", price: 38.9, regular_price: 42.5, promo_price: 38.9, brand: "Lactel", quantity: 3, unit: "pcs" },
    ]);
  });

  it("adds to an existing line instead of replacing it", () => {
    store.add(add("milk", { quantity: 2 }));
    store.add(add("milk", { quantity: 1 }));
    expect(store.cart(S1).items[0]?.quantity).toBe(3);
    expect(available("milk")).toBe(7);
  });

  it("defaults the quantity to 1", () => {
    store.add(add("milk"));
    expect(store.cart(S1).items[0]?.quantity).toBe(1);
  });

  it.each([
    ["an unknown SKU", add("nope"), "product_not_found"],
    ["a SKU this store does not sell", add("only-store-2"), "product_not_found"],
    ["an inactive product", add("retired"), "product_not_found"],
    ["zero stock", add("sold-out"), "out_of_stock"],
    ["more than is left", add("milk", { quantity: 11 }), "quantity_exceeded"],
    ["a fraction of a piece", add("milk", { quantity: 1.5 }), "not_multiple_of_1_pcs"],
    ["weight off the 0.1 kg step", add("cheese", { quantity: 0.25 }), "not_multiple_of_0.1_kg"],
    ["more than three decimals", add("cheese", { quantity: 0.3000001 }), "not_multiple_of_0.1_kg"],
    ["weight under the minimum", add("cheese", { quantity: 0.1 }), "below_minimum_0.2_kg"],
    ["over the per-customer limit", add("chips", { quantity: 4 }), "max_3_per_customer"],
    ["a stale price", add("milk", { price: 42.5 }), "price_changed"],
  ])("rejects %s", (_name, request, reason) => {
    expect(store.add(request)).toEqual({ ok: false, reason });
    expect(store.cart(S1).items).toEqual([]);
  });

  it("accepts the current effective price, to the kopiyka", () => {
    expect(store.add(add("milk", { price: 38.900000000000006 }))).toEqual({ ok: true });
    expect(store.add(add("chips", { price: 89.9 }))).toEqual({ ok: true });
  });

  it("ignores the quoted price when price checks are off", () => {
    const lenient = createStore({ db, now: clock.now, checkPrices: false });
    expect(lenient.add(add("milk", { price: 1 }))).toEqual({ ok: true });
  });

  it("counts what is already in the cart against the per-customer limit", () => {
    expect(store.add(add("chips", { quantity: 2 }))).toEqual({ ok: true });
    expect(store.add(add("chips", { quantity: 2 }))).toEqual({ ok: false, reason: "max_3_per_customer" });
    expect(store.add(add("chips", { quantity: 1 }))).toEqual({ ok: true });
    expect(store.add({ ...add("chips", { quantity: 3 }), session_id: "bob" })).toEqual({ ok: true });
  });

  it("sells by weight in exact steps", () => {
    for (let i = 0; i < 25; i++) expect(store.add(add("cheese", { quantity: i === 0 ? 0.2 : 0.1 })).ok).toBe(i < 24);
    expect(store.cart(S1).items[0]?.quantity).toBe(2.5);
    expect(available("cheese")).toBe(0);
    expect(store.add({ ...add("cheese", { quantity: 0.2 }), session_id: "bob" })).toEqual({ ok: false, reason: "out_of_stock" });
  });

  it("never gives the last unit to two shoppers", () => {
    expect(store.add({ ...add("last-one"), session_id: "alice" })).toEqual({ ok: true });
    expect(store.add({ ...add("last-one"), session_id: "bob" })).toEqual({ ok: false, reason: "out_of_stock" });
  });

  it("keeps carts apart by store and by session", () => {
    store.add(add("milk", { quantity: 2 }));
    store.add(add("milk", { quantity: 1, store_id: "store-2" }));
    expect(store.cart(S1).items[0]?.quantity).toBe(2);
    expect(store.cart({ store_id: "store-2", session_id: "alice" }).items[0]).toMatchObject({ quantity: 1, price: 40, promo_price: null });
    expect(store.cart({ store_id: "store-1", session_id: "bob" })).toEqual({ items: [], total: 0 });
    expect(available("milk", "store-2")).toBe(4);
  });
});

describe("store.remove()", () => {
  it("releases the line's stock", () => {
    store.add(add("milk", { quantity: 4 }));
    expect(store.remove({ action: "remove", ...S1, sku: "milk" })).toEqual({ ok: true });
    expect(available("milk")).toBe(10);
    expect(store.cart(S1).items).toEqual([]);
  });

  it("answers not_in_cart for a line the cart does not have", () => {
    store.add(add("milk"));
    expect(store.remove({ action: "remove", ...S1, sku: "chips" })).toEqual({ ok: false, reason: "not_in_cart" });
    expect(store.remove({ action: "remove", ...S1, session_id: "nobody", sku: "milk" })).toEqual({ ok: false, reason: "not_in_cart" });
  });
});

describe("store.updateQuantity()", () => {
  const update = (sku: string, quantity: number) => ({ action: "update_quantity", ...S1, sku, quantity }) as const;

  it("reserves more when raised and releases when lowered", () => {
    store.add(add("milk", { quantity: 2 }));
    expect(store.updateQuantity(update("milk", 6))).toEqual({ ok: true });
    expect(available("milk")).toBe(4);
    expect(store.updateQuantity(update("milk", 1))).toEqual({ ok: true });
    expect(available("milk")).toBe(9);
    expect(store.cart(S1).items[0]?.quantity).toBe(1);
  });

  it.each([
    ["more than is left", "milk", 1, 11, "quantity_exceeded"],
    ["a fraction of a piece", "milk", 1, 2.5, "not_multiple_of_1_pcs"],
    ["over the per-customer limit", "chips", 1, 4, "max_3_per_customer"],
    ["weight under the minimum", "cheese", 0.2, 0.1, "below_minimum_0.2_kg"],
    ["weight off the step", "cheese", 0.2, 0.35, "not_multiple_of_0.1_kg"],
  ])("rejects %s and leaves the line as it was", (_name, sku, start, quantity, reason) => {
    expect(store.add(add(sku, { quantity: start }))).toEqual({ ok: true });
    const before = store.cart(S1);
    expect(store.updateQuantity(update(sku, quantity))).toEqual({ ok: false, reason });
    expect(store.cart(S1)).toEqual(before);
  });

  it("answers not_in_cart for a line the cart does not have", () => {
    store.add(add("milk"));
    expect(store.updateQuantity(update("chips", 1))).toEqual({ ok: false, reason: "not_in_cart" });
  });

  it("answers out_of_stock when nothing is left to add", () => {
    store.add(add("last-one"));
    expect(store.updateQuantity(update("last-one", 2))).toEqual({ ok: false, reason: "out_of_stock" });
  });
});

describe("store.clear()", () => {
  it("empties the cart and releases all of its stock", () => {
    store.add(add("milk", { quantity: 3 }));
    store.add(add("cheese", { quantity: 0.5 }));
    expect(store.clear({ action: "clear", ...S1 })).toEqual({ ok: true });
    expect(store.cart(S1).items).toEqual([]);
    expect([available("milk"), available("cheese")]).toEqual([10, 2.5]);
  });

  it("is ok on a cart that does not exist", () => {
    expect(store.clear({ action: "clear", ...S1, session_id: "nobody" })).toEqual({ ok: true });
  });
});

describe("store.cart()", () => {
  it("totals at the effective price, rounded to kopiykas", () => {
    store.add(add("milk", { quantity: 3 }));
    store.add(add("cheese", { quantity: 0.3 }));
    expect(store.cart(S1).total).toBe(Math.round((3 * 38.9 + 0.3 * 359.9) * 100) / 100);
  });

  it("shows the current price, not the price when the line was added", () => {
    store.add(add("chips"));
    db.prepare("UPDATE prices SET price = 99.9 WHERE store_id = 'store-1' AND sku = 'chips'").run();
    expect(store.cart(S1).items[0]).toMatchObject({ price: 99.9, promo_price: null });
  });
});

describe("idle cart expiry", () => {
  it("releases the stock of a cart idle past the TTL, and only then", () => {
    store.add(add("last-one"));
    clock.advance(59_999);
    expect(store.add({ ...add("last-one"), session_id: "bob" })).toEqual({ ok: false, reason: "out_of_stock" });
    clock.advance(1);
    expect(store.add({ ...add("last-one"), session_id: "bob" })).toEqual({ ok: true });
    expect(store.cart(S1).items).toEqual([]);
    expect(store.cart({ store_id: "store-1", session_id: "bob" }).items).toHaveLength(1);
  });

  it("restarts the idle time on every change to the cart", () => {
    store.add(add("milk"));
    clock.advance(50_000);
    store.add(add("chips"));
    clock.advance(50_000);
    expect(store.cart(S1).items.map((i) => i.sku)).toEqual(["milk", "chips"]);
  });

  it("shows an expired cart as empty and frees its stock for the products webhook", () => {
    store.add(add("last-one"));
    clock.advance(60_000);
    expect(store.products({ store_id: "store-1", skus: ["last-one"] }).products[0]?.in_stock).toBe(true);
    expect(db.prepare("SELECT COUNT(*) FROM carts").pluck().get()).toBe(0);
  });

  it("releaseExpiredCarts() reports how many carts expired", () => {
    store.add(add("milk"));
    store.add({ ...add("milk"), session_id: "bob" });
    expect(store.releaseExpiredCarts()).toBe(0);
    clock.advance(60_000);
    expect(store.releaseExpiredCarts()).toBe(2);
    expect(available("milk")).toBe(10);
  });
});

describe("deadline", () => {
  it("rolls a write back when the deadline passes before commit", () => {
    store.add(add("milk", { quantity: 2 }));
    // The clock moves past the deadline while the transaction runs (after its first reading).
    const t1 = clock.now();
    let calls = 0;
    const late = createStore({ db, now: () => (++calls === 1 ? t1 : t1 + 5_000) });
    expect(() => late.add(add("milk", { quantity: 3 }), t1 + 4_500)).toThrow(DeadlineExceededError);
    expect(store.cart(S1).items[0]?.quantity).toBe(2);
    expect(available("milk")).toBe(8);
  });

  it("commits when there is time left", () => {
    expect(store.add(add("milk"), clock.now() + 1)).toEqual({ ok: true });
  });

  it.each([
    ["remove", (s: Store, d: number) => s.remove({ action: "remove", ...S1, sku: "milk" }, d)],
    ["update_quantity", (s: Store, d: number) => s.updateQuantity({ action: "update_quantity", ...S1, sku: "milk", quantity: 5 }, d)],
    ["clear", (s: Store, d: number) => s.clear({ action: "clear", ...S1 }, d)],
  ])("rolls back %s too", (_name, write) => {
    store.add(add("milk", { quantity: 2 }));
    expect(() => write(store, clock.now())).toThrow(DeadlineExceededError);
    expect(store.cart(S1).items[0]?.quantity).toBe(2);
    expect(available("milk")).toBe(8);
  });
});

describe("a failing write", () => {
  it("commits nothing: the stock reserved before the failure is rolled back", () => {
    db.exec(`CREATE TRIGGER fail_line BEFORE INSERT ON cart_lines WHEN NEW.sku = 'chips'
             BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    expect(() => store.add(add("chips", { quantity: 2 }))).toThrow(/disk on fire/);
    expect(available("chips")).toBe(50);
    expect(db.prepare("SELECT COUNT(*) FROM carts").pluck().get()).toBe(0);
  });
});
