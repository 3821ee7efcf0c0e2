// A change or a webhook read releases other shoppers' expired carts in batches (32, oldest first) rather than all at
// once, and answers as if every expired cart had been released first.
import { describe, expect, it } from "vitest";
import { Catalog } from "../../reference-store/catalog.js";
import { openDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { createStore } from "../../reference-store/store.js";
import { useCleanups } from "./cleanups.js";
import { createClock, reservationMismatches } from "./helpers.js";

const { defer } = useCleanups();
const TTL = 60_000;
const catalog = (stock: number) =>
  Catalog.parse({
    stores: [{ store_id: "store-1", name: "Test Market 1" }],
    products: [{ sku: "milk", name: "Milk 1 l", category_path: "Dairy > Milk", attributes: { max_per_customer: 100 } }],
    offers: [{ store_id: "store-1", sku: "milk", price: 40, stock }],
  });
const add = (session_id: string, quantity = 1) => ({ action: "add" as const, store_id: "store-1", session_id, sku: "milk", quantity });

/** 100 shoppers each holding 1 milk, all idle past the TTL. */
function storeWithExpiredCarts(stock = 100) {
  const db = openDatabase(":memory:");
  defer(() => db.close());
  seedCatalog(db, catalog(stock));
  const clock = createClock();
  const store = createStore({ db, now: clock.now, cartTtlMs: TTL });
  for (let i = 0; i < 100; i++) {
    expect(store.add(add(`old-${i}`))).toEqual({ ok: true });
    clock.advance(1);
  }
  clock.advance(TTL);
  const carts = () => db.prepare<[], string>("SELECT session_id FROM carts ORDER BY updated_at").pluck().all();
  const reserved = () => db.prepare<[], number>("SELECT reserved_milli / 1000 FROM stock").pluck().get();
  return { db, clock, store, carts, reserved };
}

describe("createStore(): expired carts released by changes", () => {
  it("a change releases the 32 oldest expired carts; the next changes release the rest", () => {
    const { db, store, carts, reserved } = storeWithExpiredCarts();
    expect(store.add(add("new-1"))).toEqual({ ok: true });
    expect(carts()).toEqual([...Array.from({ length: 68 }, (_, i) => `old-${32 + i}`), "new-1"]);
    expect(reserved()).toBe(69);
    expect(reservationMismatches(db)).toEqual([]);

    for (const shopper of ["new-2", "new-3", "new-4"]) expect(store.add(add(shopper))).toEqual({ ok: true });
    expect(carts()).toEqual(["new-1", "new-2", "new-3", "new-4"]);
    expect(reserved()).toBe(4);
  });

  it("a shortfall while expired carts are left releases them all and decides again", () => {
    const { db, store, carts, reserved } = storeWithExpiredCarts();
    // 32 released leave 32 free: 80 fits only once the other 68 go too.
    expect(store.add(add("new", 80))).toEqual({ ok: true });
    expect(carts()).toEqual(["new"]);
    expect(reserved()).toBe(80);
    expect(reservationMismatches(db)).toEqual([]);
  });

  it("a shopper whose expired cart is not among the oldest starts afresh", () => {
    const { db, clock, store, carts } = storeWithExpiredCarts(103);
    // One more shopper, expired later than the 100 before it.
    clock.advance(-TTL);
    expect(store.add(add("late", 3))).toEqual({ ok: true });
    clock.advance(TTL);
    expect(store.add(add("late", 1))).toEqual({ ok: true });
    const line = db.prepare<[], number>("SELECT quantity_milli / 1000 FROM cart_lines JOIN carts USING (cart_id) WHERE session_id = 'late'").pluck().get();
    expect(line).toBe(1);
    expect(carts().filter((session) => session === "late")).toHaveLength(1);
    expect(reservationMismatches(db)).toEqual([]);
  });
});

describe("createStore(): expired carts released by reads", () => {
  const products = { store_id: "store-1", skus: ["milk"] };

  it("a cart GET releases the 32 oldest expired carts; an expired cart reads empty whether released or not", () => {
    const { db, store, carts, reserved } = storeWithExpiredCarts();
    expect(store.cart({ store_id: "store-1", session_id: "old-99" })).toEqual({ items: [], total: 0 });
    expect(carts()).toEqual(Array.from({ length: 68 }, (_, i) => `old-${32 + i}`));
    expect(reserved()).toBe(68);
    expect(reservationMismatches(db)).toEqual([]);
    for (let i = 0; i < 3; i++) store.cart({ store_id: "store-1", session_id: "old-0" });
    expect(carts()).toEqual([]);
    expect(reserved()).toBe(0);
  });

  it("a products read that finds stock releases only the batch", () => {
    const { db, store, carts, reserved } = storeWithExpiredCarts(200);
    expect(store.products(products)).toEqual({ products: [{ sku: "milk", price: 40, in_stock: true }] });
    expect(carts()).toHaveLength(68);
    expect(reserved()).toBe(68);
    expect(reservationMismatches(db)).toEqual([]);
  });

  it("a products read that finds an offer out of stock while expired carts are left releases them all and answers in stock", () => {
    const db = openDatabase(":memory:");
    defer(() => db.close());
    seedCatalog(
      db,
      Catalog.parse({
        stores: [{ store_id: "store-1", name: "Test Market 1" }],
        products: [
          { sku: "bread", name: "Bread", category_path: "Bakery > Bread" },
          { sku: "milk", name: "Milk 1 l", category_path: "Dairy > Milk" },
        ],
        offers: [
          { store_id: "store-1", sku: "bread", price: 20, stock: 100 },
          { store_id: "store-1", sku: "milk", price: 40, stock: 1 },
        ],
      }),
    );
    const clock = createClock();
    const store = createStore({ db, now: clock.now, cartTtlMs: TTL });
    // The 40 oldest carts hold bread; the last milk is in a later one, outside the first batch.
    for (let i = 0; i < 40; i++) {
      expect(store.add({ ...add(`bread-${i}`), sku: "bread" })).toEqual({ ok: true });
      clock.advance(1);
    }
    expect(store.add(add("milk-holder"))).toEqual({ ok: true });
    clock.advance(TTL);
    expect(store.products(products)).toEqual({ products: [{ sku: "milk", price: 40, in_stock: true }] });
    expect(db.prepare("SELECT count(*) FROM carts").pluck().get()).toBe(0);
    expect(reservationMismatches(db)).toEqual([]);
  });

  it("releaseExpiredCarts() still releases every expired cart at once", () => {
    const { store, carts } = storeWithExpiredCarts();
    expect(store.releaseExpiredCarts()).toBe(100);
    expect(carts()).toEqual([]);
  });
});
