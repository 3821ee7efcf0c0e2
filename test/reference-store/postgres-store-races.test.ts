// The PostgreSQL store where its own statements leave room for others: another transaction acting
// between a change's reservation and its second look at the shelf, a budget of under a
// millisecond, a sweep that fails for a reason other than a deadlock, the work a products read and
// an unchanged quantity do not do.
import type pg from "pg";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { DeadlineExceededError } from "../../reference-store/deadline.js";
import { migratePostgres } from "../../reference-store/postgres/migrations.js";
import { seedPostgresCatalog } from "../../reference-store/postgres/seed.js";
import { createPostgresStore } from "../../reference-store/postgres/store.js";
import { SMALL_CATALOG } from "./helpers.js";
import { postgresCartLines, postgresReservationMismatches, postgresReserved, reseedPostgresCatalog } from "./postgres-helpers.js";
import { createTestSchema, reportSkipped } from "./servers.js";

const schema = await createTestSchema("store_races");
afterAll(() => schema.drop());

const T0 = 1_767_225_600_000;
const S1 = { store_id: "store-1", session_id: "alice" } as const;
const HOUR = 60 * 60 * 1000;

/**
 * `pool` as the store sees it, except that on a connection it checks out, the first statement
 * named `name` stops after its answer until `resume()`: the change is inside its transaction,
 * between two statements, and another transaction can act.
 */
function pauseAfter(pool: pg.Pool, name: string) {
  let paused!: () => void;
  let resume!: () => void;
  const reached = new Promise<void>((resolve) => (paused = resolve));
  const gate = new Promise<void>((resolve) => (resume = resolve));
  let armed = true;
  const bound = <T extends object>(target: T, property: string | symbol) => {
    const value = Reflect.get(target, property) as unknown;
    return typeof value === "function" ? value.bind(target) : value;
  };
  const wrap = (client: pg.PoolClient) =>
    new Proxy(client, {
      get(target, property) {
        if (property !== "query") return bound(target, property);
        return async (config: pg.QueryConfig | string, values?: unknown[]) => {
          const result = await target.query(config as pg.QueryConfig, values);
          if (armed && typeof config === "object" && config.name === name) {
            armed = false;
            paused();
            await gate;
          }
          return result;
        };
      },
    });
  const paused_ = new Proxy(pool, {
    get(target, property) {
      if (property === "connect") return async () => wrap(await target.connect());
      return bound(target, property);
    },
  });
  return { pool: paused_, reached, resume };
}

if (schema.skipReason === undefined) {
  const pool = schema.pool(4);
  await migratePostgres(pool);

  beforeEach(() => reseedPostgresCatalog(schema.sql, () => seedPostgresCatalog(pool, SMALL_CATALOG), [["slow_line", "cart_lines"], ["keep_carts", "carts"]]));

  const lines = (sessionId?: string) => postgresCartLines(schema.sql, sessionId);
  const reserved = async (sku: string) => postgresReserved(schema.sql, sku);
  /** The stock row's version: a new one for every UPDATE of it, even one that changes no value. */
  const stockVersion = async (sku: string) =>
    (await schema.sql<{ xmin: string }>("SELECT xmin::text AS xmin FROM stock WHERE store_id = 'store-1' AND sku = $1", [sku]))[0]!.xmin;

  describe("the PostgreSQL store: another transaction between the reservation and the second look", () => {
    it("stock delivered just after a refused reservation: quantity_exceeded, no line, never a line without its stock", async () => {
      const paused = pauseAfter(pool, "store.reserve");
      const store = createPostgresStore({ pool: paused.pool, now: () => T0 });
      // 11 wanted, 10 on the shelf: the reservation updates nothing.
      const adding = store.add({ action: "add", ...S1, sku: "milk", quantity: 11 });
      await paused.reached;
      await schema.sql("UPDATE stock SET on_hand_milli = 20000 WHERE store_id = 'store-1' AND sku = 'milk'");
      paused.resume();
      expect(await adding).toEqual({ ok: false, reason: "quantity_exceeded" });
      expect(await lines()).toEqual([]);
      expect(await reserved("milk")).toBe(0);
      expect(await postgresReservationMismatches(schema.sql)).toEqual([]);
    });

    it("the stock row deleted just after a refused reservation: out_of_stock, no error, no line", async () => {
      const paused = pauseAfter(pool, "store.reserve");
      const store = createPostgresStore({ pool: paused.pool, now: () => T0 });
      const adding = store.add({ action: "add", ...S1, sku: "milk", quantity: 11 });
      await paused.reached;
      await schema.sql("DELETE FROM stock WHERE store_id = 'store-1' AND sku = 'milk'");
      paused.resume();
      expect(await adding).toEqual({ ok: false, reason: "out_of_stock" });
      expect(await lines()).toEqual([]);
      expect(await reserved("milk")).toBeUndefined();
    });
  });

  describe("the PostgreSQL store: a budget of under a millisecond", () => {
    it("is a limit of 1 ms, never statement_timeout 0 (which PostgreSQL reads as none): the deadline error, nothing committed", async () => {
      await schema.sql("CREATE OR REPLACE FUNCTION slow_line() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$");
      await schema.sql("CREATE TRIGGER slow_line BEFORE INSERT ON cart_lines FOR EACH ROW EXECUTE FUNCTION slow_line()");
      const store = createPostgresStore({ pool, now: () => T0 });
      // 150.5 ms to the deadline, 150 of them the margin: 0.5 ms for the statements.
      await expect(store.add({ action: "add", ...S1, sku: "milk" }, T0 + 150.5)).rejects.toThrow(DeadlineExceededError);
      expect(await lines()).toEqual([]);
      expect(await reserved("milk")).toBe(0);
    });
  });

  describe("the PostgreSQL store: a sweep that fails", () => {
    it("releaseExpiredCarts() passes on an error other than a deadlock, at once, and releases nothing", async () => {
      let clock = T0;
      const store = createPostgresStore({ pool, now: () => clock });
      expect(await store.add({ action: "add", ...S1, sku: "milk", quantity: 2 })).toEqual({ ok: true });
      await schema.sql("CREATE OR REPLACE FUNCTION keep_carts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'carts are kept for an audit'; END $$");
      await schema.sql("CREATE TRIGGER keep_carts BEFORE DELETE ON carts FOR EACH ROW EXECUTE FUNCTION keep_carts()");
      clock += HOUR;
      await expect(store.releaseExpiredCarts()).rejects.toThrow("carts are kept for an audit");
      expect(await lines()).toEqual([["milk", 2_000]]);
      expect(await reserved("milk")).toBe(2_000);
    });
  });

  describe("the PostgreSQL store: work it does not do", () => {
    it("a products read with no expired cart is one statement on one connection", async () => {
      let clock = T0;
      const store = createPostgresStore({ pool, now: () => clock });
      expect(await store.add({ action: "add", ...S1, sku: "milk", quantity: 2 })).toEqual({ ok: true });
      clock += HOUR - 1;
      let checkouts = 0;
      const count = () => void checkouts++;
      pool.on("acquire", count);
      try {
        const { products } = await store.products({ store_id: "store-1", skus: ["milk"] });
        expect(products.map((offer) => [offer.sku, offer.in_stock])).toEqual([["milk", true]]);
        expect(checkouts).toBe(1);
      } finally {
        pool.off("acquire", count);
      }
      expect(await lines()).toEqual([["milk", 2_000]]);
    });

    it("update_quantity to the quantity already in the cart: ok, and the stock row is not written, even for a product taken off sale", async () => {
      const store = createPostgresStore({ pool, now: () => T0 });
      expect(await store.add({ action: "add", ...S1, sku: "milk", quantity: 3 })).toEqual({ ok: true });
      const before = await stockVersion("milk");
      expect(await store.updateQuantity({ action: "update_quantity", ...S1, sku: "milk", quantity: 3 })).toEqual({ ok: true });
      expect(await stockVersion("milk")).toBe(before);
      await schema.sql("UPDATE products SET is_active = false WHERE sku = 'milk'");
      expect(await store.updateQuantity({ action: "update_quantity", ...S1, sku: "milk", quantity: 3 })).toEqual({ ok: true });
      expect(await stockVersion("milk")).toBe(before);
      expect(await lines()).toEqual([["milk", 3_000]]);
      expect(await reserved("milk")).toBe(3_000);
    });
  });
} else {
  reportSkipped("the PostgreSQL store between its statements", schema.skipReason);
}
