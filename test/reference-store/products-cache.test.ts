import { join } from "node:path";
import Database from "better-sqlite3";
import fc from "fast-check";
import { silentLogger } from "vizochok-merchant-kit";
import { describe, expect, it } from "vitest";
import { createAuditLog, type AuditEntry } from "../../reference-store/audit-log.js";
import { openDatabase, prepareDatabase } from "../../reference-store/database.js";
import { createReadCache } from "../../reference-store/read-cache.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { createStore, type SqliteStore } from "../../reference-store/store.js";
import { useCleanups } from "./cleanups.js";
import { SMALL_CATALOG, createClock } from "./helpers.js";

const { defer, tempDir } = useCleanups();

/** A seeded database file and a connection to it that records the SQL it runs. */
function seededFile(): { path: string; db: Database.Database; executed: string[] } {
  const path = join(tempDir(), "store.db");
  const executed: string[] = [];
  const db = new Database(path, { timeout: 5_000, verbose: (sql) => executed.push(String(sql)) });
  defer(() => db.close());
  prepareDatabase(db);
  seedCatalog(db, SMALL_CATALOG);
  return { path, db, executed };
}

/** Another connection to the same file, as another process would open it. */
function connect(path: string): Database.Database {
  const db = openDatabase(path);
  defer(() => db.close());
  return db;
}

const ask = (store: SqliteStore, skus: string[], storeId = "store-1") => store.products({ store_id: storeId, skus }).products;
const offerQueries = (executed: string[]) => executed.filter((sql) => sql.includes("json_group_array")).length;
const add = (sku: string, session_id = "alice") => ({ action: "add" as const, store_id: "store-1", session_id, sku });

describe("store.products() between changes", () => {
  it("reads the offers from SQLite once while nothing in the database changes", () => {
    const { db, executed } = seededFile();
    const store = createStore({ db });
    for (let i = 0; i < 50; i++) expect(ask(store, ["milk", "last-one"])).toHaveLength(2);
    expect(offerQueries(executed)).toBe(1);
    // Only SKUs not read before are asked for.
    expect(ask(store, ["cheese", "milk"]).map((offer) => offer.sku)).toEqual(["cheese", "milk"]);
    expect(offerQueries(executed)).toBe(2);
    expect(ask(store, ["cheese", "milk", "last-one"]).map((offer) => offer.sku)).toEqual(["cheese", "milk", "last-one"]);
    expect(offerQueries(executed)).toBe(2);
  });

  it("shows a cart add made through the same store in the next answer", () => {
    const { db } = seededFile();
    const store = createStore({ db });
    expect(ask(store, ["last-one"])).toEqual([{ sku: "last-one", price: 35, in_stock: true }]);
    expect(store.add(add("last-one"))).toEqual({ ok: true });
    expect(ask(store, ["last-one"])).toEqual([{ sku: "last-one", price: 35, in_stock: false }]);
    expect(store.clear({ action: "clear", store_id: "store-1", session_id: "alice" })).toEqual({ ok: true });
    expect(ask(store, ["last-one"])).toEqual([{ sku: "last-one", price: 35, in_stock: true }]);
  });

  it("shows a cart add made through another connection to the file in the next answer", () => {
    const { path, db } = seededFile();
    const reader = createStore({ db });
    const writer = createStore({ db: connect(path) });
    expect(ask(reader, ["last-one", "milk"]).map((offer) => offer.in_stock)).toEqual([true, true]);
    expect(writer.add(add("last-one", "bob"))).toEqual({ ok: true });
    expect(ask(reader, ["last-one", "milk"]).map((offer) => offer.in_stock)).toEqual([false, true]);
  });

  it("shows a price, a promotion and a product taken off sale by another connection in the next answer", () => {
    const { path, db } = seededFile();
    const store = createStore({ db });
    expect(ask(store, ["milk", "chips"])).toEqual([
      { sku: "milk", price: 42.5, promo_price: 38.9, promo_label: "-8%", in_stock: true },
      { sku: "chips", price: 89.9, in_stock: true },
    ]);
    const other = connect(path);
    other.prepare("UPDATE prices SET price = 99.9, promo_price = 79.9, promo_label = 'new' WHERE store_id = 'store-1' AND sku = 'chips'").run();
    other.prepare("UPDATE products SET is_active = 0 WHERE sku = 'milk'").run();
    expect(ask(store, ["milk", "chips"])).toEqual([
      { sku: "milk", price: 42.5, promo_price: 38.9, promo_label: "-8%", in_stock: false },
      { sku: "chips", price: 99.9, promo_price: 79.9, promo_label: "new", in_stock: true },
    ]);
  });

  it("shows a row changed on the store's own connection by other code in the next answer", () => {
    const { db } = seededFile();
    const store = createStore({ db });
    expect(ask(store, ["chips"])[0]?.price).toBe(89.9);
    db.prepare("UPDATE prices SET price = 91 WHERE store_id = 'store-1' AND sku = 'chips'").run();
    expect(ask(store, ["chips"])[0]?.price).toBe(91);
    db.prepare("UPDATE stock SET on_hand_milli = 0 WHERE store_id = 'store-1' AND sku = 'chips'").run();
    expect(ask(store, ["chips"])[0]?.in_stock).toBe(false);
  });

  it("keeps its offers over an audit batch written on its connection, and not over a change with it", () => {
    const { db, executed } = seededFile();
    const store = createStore({ db });
    const audit = createAuditLog(db, { logger: silentLogger });
    const row = (n: number): AuditEntry => ({
      at: n,
      request_id: `r${n}`,
      kind: "products",
      action: null,
      store_id: "store-1",
      session_id: null,
      sku: "chips",
      quantity: null,
      outcome: "ok",
      reason: null,
      latency_ms: 0,
    });
    expect(ask(store, ["chips"])[0]?.price).toBe(89.9);
    for (let n = 0; n < 3; n++) audit.defer(row(n));
    audit.flush();
    expect(ask(store, ["chips"])[0]?.price).toBe(89.9);
    expect(offerQueries(executed)).toBe(1);
    audit.defer(row(3));
    audit.flush();
    db.prepare("UPDATE prices SET price = 91 WHERE store_id = 'store-1' AND sku = 'chips'").run();
    expect(ask(store, ["chips"])[0]?.price).toBe(91);
    expect(db.prepare("SELECT COUNT(*) FROM webhook_audit").pluck().get()).toBe(4);
  });

  it("keeps nothing read inside a transaction that is then rolled back", () => {
    const { db } = seededFile();
    const store = createStore({ db });
    expect(ask(store, ["chips"])[0]?.price).toBe(89.9);
    expect(() =>
      db.transaction(() => {
        db.prepare("UPDATE prices SET price = 1 WHERE store_id = 'store-1' AND sku = 'chips'").run();
        expect(ask(store, ["chips"])[0]?.price).toBe(1);
        throw new Error("rolled back");
      })(),
    ).toThrow("rolled back");
    expect(ask(store, ["chips"])[0]?.price).toBe(89.9);
  });

  it("keeps each store's offers apart, and an unknown SKU stays left out", () => {
    const { db } = seededFile();
    const store = createStore({ db });
    expect(ask(store, ["only-store-2", "milk", "nope"]).map((offer) => [offer.sku, offer.price])).toEqual([["milk", 42.5]]);
    expect(ask(store, ["only-store-2", "milk", "nope"], "store-2").map((offer) => [offer.sku, offer.price])).toEqual([
      ["only-store-2", 25],
      ["milk", 40],
    ]);
    expect(ask(store, ["nope", "milk", "only-store-2"]).map((offer) => offer.sku)).toEqual(["milk"]);
  });
});

describe("store.products() on two connections, any sequence of changes and reads", () => {
  const SKUS = ["milk", "cheese", "chips", "last-one", "sold-out", "retired", "nope"];
  const step = fc.oneof(
    fc.record({ on: fc.constantFrom(0, 1), read: fc.shuffledSubarray(SKUS, { minLength: 1 }) }),
    fc.record({
      on: fc.constantFrom(0, 1),
      change: fc.constantFrom("add", "remove", "clear"),
      session: fc.constantFrom("alice", "bob"),
      sku: fc.constantFrom("milk", "cheese", "chips", "last-one"),
    }),
    fc.record({ on: fc.constantFrom(0, 1), price: fc.constantFrom(1, 2.5, 99.9), sku: fc.constantFrom("milk", "chips") }),
    fc.record({ waitMs: fc.constantFrom(20_000, 61_000) }),
  );

  it("answers as a store that keeps nothing would, read on the same connection right after", () => {
    const dir = tempDir();
    let run = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 40 }), (steps) => {
        const path = join(dir, `store-${run++}.db`);
        const first = openDatabase(path);
        const second = openDatabase(path);
        try {
          seedCatalog(first, SMALL_CATALOG);
          const clock = createClock();
          const dbs = [first, second] as const;
          const stores = dbs.map((db) => createStore({ db, now: clock.now, cartTtlMs: 60_000 }));
          // Fresh for every check, with a TTL no cart reaches, so its own read releases nothing.
          const uncached = (db: Database.Database) => createStore({ db, now: clock.now, cartTtlMs: 1e12 });
          for (const s of steps) {
            if ("waitMs" in s) clock.advance(s.waitMs);
            else if ("read" in s) {
              const answer = ask(stores[s.on]!, s.read);
              expect(answer).toEqual(ask(uncached(dbs[s.on]!), s.read));
            } else if ("change" in s) {
              const request = { store_id: "store-1", session_id: s.session };
              if (s.change === "add") stores[s.on]!.add({ action: "add", ...request, sku: s.sku, quantity: s.sku === "cheese" ? 0.5 : 1 });
              else if (s.change === "remove") stores[s.on]!.remove({ action: "remove", ...request, sku: s.sku });
              else stores[s.on]!.clear({ action: "clear", ...request });
            } else {
              dbs[s.on]!.prepare("UPDATE prices SET price = ? WHERE store_id = 'store-1' AND sku = ?").run(s.price, s.sku);
            }
          }
        } finally {
          first.close();
          second.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe("createReadCache()", () => {
  it("starts empty again past maxEntries, and still answers every key", () => {
    const { db } = seededFile();
    const cache = createReadCache<string>(db, { maxEntries: 3 });
    const loaded: string[][] = [];
    const load = (_scope: string, keys: string[]) => {
      loaded.push(keys);
      return new Map(keys.filter((key) => key !== "none").map((key) => [key, key.toUpperCase()]));
    };
    expect(cache.read("s", ["a", "b", "none"], load)).toEqual(["A", "B", undefined]);
    expect(cache.read("s", ["none", "a"], load)).toEqual([undefined, "A"]);
    expect(cache.read("s", ["c", "a"], load)).toEqual(["C", "A"]);
    expect(cache.read("s", ["a", "c"], load)).toEqual(["A", "C"]);
    expect(loaded).toEqual([["a", "b", "none"], ["c", "a"]]);
  });
});
