import { openDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { createStore } from "../../reference-store/store.js";
import { SMALL_CATALOG, reservationMismatches } from "./helpers.js";
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
    failLinesFor: async (sku, message) =>
      void db.exec(`CREATE TRIGGER fail_line BEFORE INSERT ON cart_lines WHEN NEW.sku = '${sku}' BEGIN SELECT RAISE(ABORT, '${message}'); END`),
    mismatches: async () => reservationMismatches(db),
    close: async () => void db.close(),
  };
});
