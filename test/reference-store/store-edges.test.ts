// The SQLite store at its edges: idle carts freed by reads again and again, how often a read
// looks at the carts table while no cart exists, and a cart line whose offer an operator deleted.
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, prepareDatabase } from "../../reference-store/database.js";
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
