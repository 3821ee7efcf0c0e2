import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase, prepareDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { createStore } from "../../reference-store/store.js";
import { SMALL_CATALOG, createClock, reservationMismatches } from "./helpers.js";
import { defineStoreContract } from "./store-contract.js";

defineStoreContract("the store on SQLite", async (clock) => {
  const db = openDatabase(":memory:");
  seedCatalog(db, SMALL_CATALOG);
  return {
    store: createStore({ db, now: clock.now, cartTtlMs: 60_000 }),
    createStore: (options) => createStore({ db, cartTtlMs: 60_000, ...options }),
    available: async (sku, storeId = "store-1") =>
      db.prepare<[string, string], number>("SELECT (on_hand_milli - reserved_milli) / 1000.0 FROM stock WHERE store_id = ? AND sku = ?").pluck().get(storeId, sku)!,
    cartCount: async () => db.prepare<[], number>("SELECT COUNT(*) FROM carts").pluck().get()!,
    setPrice: async (storeId, sku, price) => void db.prepare("UPDATE prices SET price = ? WHERE store_id = ? AND sku = ?").run(price, storeId, sku),
    setActive: async (sku, active) => void db.prepare("UPDATE products SET is_active = ? WHERE sku = ?").run(active ? 1 : 0, sku),
    failLinesFor: async (sku, message) =>
      void db.exec(`CREATE TRIGGER fail_line BEFORE INSERT ON cart_lines WHEN NEW.sku = '${sku}' BEGIN SELECT RAISE(ABORT, '${message}'); END`),
    mismatches: async () => reservationMismatches(db),
    close: async () => void db.close(),
  };
});

describe("the store on SQLite: idle-cart expiry before reads", () => {
  const S1 = { store_id: "store-1", session_id: "alice" } as const;
  const inStock = async (store: ReturnType<typeof createStore>, sku: string) =>
    (await store.products({ store_id: "store-1", skus: [sku] })).products[0]?.in_stock;

  function traced() {
    const executed: string[] = [];
    const db = new Database(":memory:", { verbose: (sql) => executed.push(String(sql)) });
    prepareDatabase(db);
    seedCatalog(db, SMALL_CATALOG);
    const clock = createClock();
    const store = createStore({ db, now: clock.now, cartTtlMs: 60_000 });
    return { db, executed, clock, store };
  }

  it("a read before any cart exists does not hide a cart made later from its expiry", async () => {
    const { db, clock, store } = traced();
    expect(await inStock(store, "last-one")).toBe(true);
    clock.advance(30_000);
    expect(await store.add({ action: "add", ...S1, sku: "last-one" })).toEqual({ ok: true });
    clock.advance(59_999);
    expect(await inStock(store, "last-one")).toBe(false);
    clock.advance(1);
    expect(await inStock(store, "last-one")).toBe(true);
    expect(db.prepare("SELECT COUNT(*) FROM carts").pluck().get()).toBe(0);
    db.close();
  });

  it("reads between expiries look at the carts table once, not on every read", async () => {
    const { db, executed, clock, store } = traced();
    await store.add({ action: "add", ...S1, sku: "milk" });
    executed.length = 0;
    for (let i = 0; i < 100; i++) await store.products({ store_id: "store-1", skus: ["milk"] });
    expect(executed.filter((sql) => /FROM carts/.test(sql))).toHaveLength(1);
    clock.advance(60_000);
    await store.products({ store_id: "store-1", skus: ["milk"] });
    expect(db.prepare("SELECT COUNT(*) FROM carts").pluck().get()).toBe(0);
    db.close();
  });
});
