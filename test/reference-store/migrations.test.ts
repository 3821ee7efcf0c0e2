import BetterSqlite3 from "better-sqlite3";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreApp } from "../../reference-store/app.js";
import { openDatabase } from "../../reference-store/database.js";
import { MIGRATIONS, migrate } from "../../reference-store/migrations.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { SECRET, SMALL_CATALOG, makeTempDir } from "./helpers.js";
import { silentLogger } from "vizochok-merchant-kit";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});
function tempDbPath(): string {
  const temp = makeTempDir();
  cleanups.push(temp.remove);
  return join(temp.dir, "store.db");
}

describe("migrate()", () => {
  it("records the schema version in user_version", () => {
    const db = openDatabase(":memory:");
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it("is harmless when run twice, and keeps the data", () => {
    const path = tempDbPath();
    const db = openDatabase(path);
    seedCatalog(db, SMALL_CATALOG);
    db.prepare("UPDATE stock SET reserved_milli = 1000 WHERE store_id = 'store-1' AND sku = 'milk'").run();
    expect(migrate(db)).toBe(MIGRATIONS.length);
    db.close();
    const again = openDatabase(path);
    expect(migrate(again)).toBe(MIGRATIONS.length);
    expect(again.prepare("SELECT reserved_milli FROM stock WHERE store_id = 'store-1' AND sku = 'milk'").pluck().get()).toBe(1000);
    again.close();
  });

  it("brings a database from an older version forward", () => {
    const path = tempDbPath();
    const old = new BetterSqlite3(path);
    old.exec(MIGRATIONS[0]!);
    old.pragma("user_version = 1");
    old.close();
    const db = openDatabase(path);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT COUNT(*) FROM webhook_audit").pluck().get()).toBe(0);
    db.close();
  });

  it("turns on WAL and foreign keys", () => {
    const db = openDatabase(tempDbPath());
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(() => db.prepare("INSERT INTO cart_lines (cart_id, sku, quantity_milli, added_at) VALUES (42, 'x', 1, 0)").run()).toThrow(
      /FOREIGN KEY/,
    );
    db.close();
  });

  it("refuses to oversell even if the code tried: reserved can never exceed on hand", () => {
    const db = openDatabase(":memory:");
    seedCatalog(db, SMALL_CATALOG);
    expect(() => db.prepare("UPDATE stock SET reserved_milli = 2000 WHERE sku = 'last-one'").run()).toThrow(/CHECK constraint/);
    db.close();
  });
});

describe("seedCatalog()", () => {
  it("loads an empty database once and leaves a seeded one alone", async () => {
    const path = tempDbPath();
    const first = createStoreApp({ databasePath: path, secret: SECRET, seed: SMALL_CATALOG, logger: silentLogger });
    first.db.prepare("UPDATE stock SET on_hand_milli = 7000 WHERE store_id = 'store-1' AND sku = 'milk'").run();
    await first.close();
    const second = createStoreApp({ databasePath: path, secret: SECRET, seed: SMALL_CATALOG, logger: silentLogger });
    expect(second.db.prepare("SELECT on_hand_milli FROM stock WHERE store_id = 'store-1' AND sku = 'milk'").pluck().get()).toBe(7000);
    expect(second.db.prepare("SELECT COUNT(*) FROM products").pluck().get()).toBe(SMALL_CATALOG.products.length);
    await second.close();
  });

  it("seeds fixtures/catalog.json by default", async () => {
    const app = createStoreApp({ databasePath: ":memory:", secret: SECRET, logger: silentLogger });
    expect(app.db.prepare("SELECT COUNT(*) FROM products").pluck().get()).toBeGreaterThanOrEqual(200);
    expect(app.store.products({ store_id: "store-1", skus: ["milk-001", "milk-003"] }).products).toEqual([
      { sku: "milk-001", price: 42.5, in_stock: true, promo_price: 38.9, promo_label: "-8%" },
      { sku: "milk-003", price: 44.9, in_stock: false },
    ]);
    await app.close();
  });
});
