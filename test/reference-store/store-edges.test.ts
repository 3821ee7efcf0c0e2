// The SQLite store at its edges: idle carts freed by reads again and again, how often a read
// looks at the carts table while no cart exists, a cart line whose offer an operator deleted, and
// which refusals make a change release every expired cart and decide again.
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, prepareDatabase } from "../../reference-store/database.js";
import { Catalog } from "../../reference-store/catalog.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { createStore } from "../../reference-store/store.js";
import { SMALL_CATALOG, createClock } from "./helpers.js";

const S1 = { store_id: "store-1", session_id: "alice" } as const;
const TTL = 60_000;
const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function seeded(db: Database.Database) {
  open.push(db);
  seedCatalog(db, SMALL_CATALOG);
  const clock = createClock();
  return { db, clock, store: createStore({ db, now: clock.now, cartTtlMs: TTL }) };
}

function traced() {
  const executed: string[] = [];
  const db = new Database(":memory:", { verbose: (sql) => executed.push(String(sql)) });
  prepareDatabase(db);
  return { executed, ...seeded(db) };
}

const inStock = (store: ReturnType<typeof createStore>, sku: string) => store.products({ store_id: "store-1", skus: [sku] }).products[0]?.in_stock;

describe("the store on SQLite: idle carts freed by reads", () => {
  it("keeps freeing them after the first expiry: each idle cart's stock returns at its own TTL", () => {
    const { store, clock } = seeded(openDatabase(":memory:"));
    expect(store.add({ action: "add", ...S1, sku: "last-one" })).toEqual({ ok: true });
    clock.advance(TTL);
    expect(store.releaseExpiredCarts()).toBe(1);
    expect(store.add({ action: "add", ...S1, session_id: "bob", sku: "last-one" })).toEqual({ ok: true });
    expect(inStock(store, "last-one")).toBe(false);
    clock.advance(TTL - 1);
    expect(inStock(store, "last-one")).toBe(false);
    clock.advance(1);
    expect(inStock(store, "last-one")).toBe(true);
    expect(store.releaseExpiredCarts()).toBe(0);
    expect(store.cart({ ...S1, session_id: "bob" })).toEqual({ items: [], total: 0 });
  });

  it("while no cart exists, reads look at the carts table once per TTL", () => {
    const { executed, clock, store } = traced();
    executed.length = 0;
    for (let i = 0; i < 100; i++) {
      expect(inStock(store, "milk")).toBe(true);
      clock.advance(500);
    }
    expect(executed.filter((sql) => /FROM carts/.test(sql))).toHaveLength(1);
    clock.advance(TTL - 50_000);
    expect(inStock(store, "milk")).toBe(true);
    expect(executed.filter((sql) => /FROM carts/.test(sql))).toHaveLength(2);
  });
});

describe("the store on SQLite: a cart line whose offer is gone", () => {
  it("update_quantity answers product_not_found, raised or lowered, and leaves the line", () => {
    const { db, store } = seeded(openDatabase(":memory:"));
    expect(store.add({ action: "add", ...S1, sku: "milk", quantity: 2 })).toEqual({ ok: true });
    // The operator stops selling milk in store 1: its stock and price rows are deleted.
    db.prepare("DELETE FROM stock WHERE store_id = 'store-1' AND sku = 'milk'").run();
    db.prepare("DELETE FROM prices WHERE store_id = 'store-1' AND sku = 'milk'").run();
    for (const quantity of [3, 1]) {
      expect(store.updateQuantity({ action: "update_quantity", ...S1, sku: "milk", quantity })).toEqual({ ok: false, reason: "product_not_found" });
    }
    expect(db.prepare("SELECT sku, quantity_milli FROM cart_lines").all()).toEqual([{ sku: "milk", quantity_milli: 2_000 }]);
  });
});

describe("the store on SQLite: expired carts past the first batch", () => {
  const catalog = Catalog.parse({
    stores: [{ store_id: "store-1", name: "Test Market 1" }],
    products: [
      { sku: "milk", name: "Milk 1 l", category_path: "Dairy > Milk", attributes: { max_per_customer: 2 } },
      { sku: "last-one", name: "Kefir 1 l", category_path: "Dairy > Kefir" },
    ],
    offers: [
      { store_id: "store-1", sku: "milk", price: 40, stock: 100 },
      { store_id: "store-1", sku: "last-one", price: 35, stock: 1 },
    ],
  });

  /** 40 idle shoppers holding a milk each, then one holding the last kefir: all expired. */
  function expired() {
    const db = openDatabase(":memory:");
    open.push(db);
    seedCatalog(db, catalog);
    const clock = createClock();
    const store = createStore({ db, now: clock.now, cartTtlMs: TTL });
    for (let i = 0; i < 40; i++) {
      expect(store.add({ action: "add", store_id: "store-1", session_id: `old-${i}`, sku: "milk" })).toEqual({ ok: true });
      clock.advance(1);
    }
    expect(store.add({ action: "add", store_id: "store-1", session_id: "kefir", sku: "last-one" })).toEqual({ ok: true });
    clock.advance(TTL);
    const carts = () => db.prepare<[], number>("SELECT COUNT(*) FROM carts").pluck().get();
    return { store, carts };
  }

  it("out_of_stock on stock an expired cart outside the batch holds: it is released, and the add is ok", () => {
    const { store, carts } = expired();
    expect(store.add({ action: "add", store_id: "store-1", session_id: "new", sku: "last-one" })).toEqual({ ok: true });
    expect(carts()).toBe(1);
  });

  it("a refusal that is not a shortfall releases only the batch", () => {
    const { store, carts } = expired();
    expect(store.add({ action: "add", store_id: "store-1", session_id: "new", sku: "milk", quantity: 3 })).toEqual({ ok: false, reason: "max_2_per_customer" });
    expect(carts()).toBe(41 - 32);
  });
});
