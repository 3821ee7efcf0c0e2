// The PostgreSQL store at its edges: ids no PostgreSQL text can hold, the default cart TTL, more
// expired carts than one sweep batch, the budget enforced inside the database (lock_timeout,
// statement_timeout), the deadline's exact edges, and a line whose offer an operator deleted.
import pg from "pg";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { DeadlineExceededError } from "../../reference-store/deadline.js";
import { openPool } from "../../reference-store/postgres/database.js";
import { withinPostgresChange } from "../../reference-store/postgres/change-scope.js";
import { migratePostgres } from "../../reference-store/postgres/migrations.js";
import { seedPostgresCatalog } from "../../reference-store/postgres/seed.js";
import { createPostgresStore } from "../../reference-store/postgres/store.js";
import { SMALL_CATALOG } from "./helpers.js";
import { postgresCartLines, postgresReservationMismatches, postgresReserved, reseedPostgresCatalog } from "./postgres-helpers.js";
import { createTestSchema, reportSkipped } from "./servers.js";

const schema = await createTestSchema("store_edges");
afterAll(() => schema.drop());

const T0 = 1_767_225_600_000;
const S1 = { store_id: "store-1", session_id: "alice" } as const;
const HOUR = 60 * 60 * 1000;

if (schema.skipReason === undefined) {
  const pool = schema.pool(4);
  await migratePostgres(pool);

  beforeEach(() => reseedPostgresCatalog(schema.sql, () => seedPostgresCatalog(pool, SMALL_CATALOG), [["slow_line", "cart_lines"]]));

  const lines = (sessionId?: string) => postgresCartLines(schema.sql, sessionId);
  const reserved = async (sku: string) => (await postgresReserved(schema.sql, sku))!;
  const mismatches = () => postgresReservationMismatches(schema.sql);

  describe("the PostgreSQL store: ids no PostgreSQL text can hold", () => {
    it("answers every operation as for an unknown id, with no error and nothing written", async () => {
      const store = createPostgresStore({ pool, now: () => T0 });
      expect(await store.add({ action: "add", ...S1, session_id: "a\u0000b", sku: "milk" })).toEqual({ ok: false, reason: "missing_params" });
      expect(await store.add({ action: "add", ...S1, store_id: "store\u00001", sku: "milk" })).toEqual({ ok: false, reason: "product_not_found" });
      expect(await store.add({ action: "add", ...S1, sku: "milk" })).toEqual({ ok: true });
      for (const ids of [{ store_id: "store\u00001" }, { session_id: "al\u0000ice" }, { sku: "mi\u0000lk" }]) {
        expect(await store.remove({ action: "remove", ...S1, sku: "milk", ...ids })).toEqual({ ok: false, reason: "not_in_cart" });
        expect(await store.updateQuantity({ action: "update_quantity", ...S1, sku: "milk", quantity: 2, ...ids })).toEqual({ ok: false, reason: "not_in_cart" });
      }
      expect(await store.clear({ action: "clear", ...S1, session_id: "al\u0000ice" })).toEqual({ ok: true });
      expect(await store.clear({ action: "clear", ...S1, store_id: "store\u00001" })).toEqual({ ok: true });
      expect(await store.cart({ ...S1, session_id: "al\u0000ice" })).toEqual({ items: [], total: 0 });
      expect(await store.cart({ ...S1, store_id: "store\u00001" })).toEqual({ items: [], total: 0 });
      expect(await lines()).toEqual([["milk", 1_000]]);
      expect(await reserved("milk")).toBe(1_000);
    });
  });

  describe("the PostgreSQL store: products", () => {
    it("answers no products, and no error, when no SKU asked for is sold", async () => {
      const store = createPostgresStore({ pool, now: () => T0 });
      expect(await store.products({ store_id: "store-1", skus: ["nope", "only-store-2"] })).toEqual({ products: [] });
      expect(await store.products({ store_id: "store-9", skus: ["milk"] })).toEqual({ products: [] });
    });
  });

  describe("the PostgreSQL store: its statements", () => {
    it("prepares each statement once per connection, by name", async () => {
      const single = schema.pool(1);
      const store = createPostgresStore({ pool: single, now: () => T0 });
      expect(await store.add({ action: "add", ...S1, sku: "milk" }, T0 + 4_500)).toEqual({ ok: true });
      const { rows: prepared } = await single.query<{ name: string }>("SELECT name FROM pg_prepared_statements ORDER BY name COLLATE \"C\"");
      expect(prepared.map((row) => row.name)).toEqual(["store.addToLine", "store.budget", "store.cartState", "store.lockCart", "store.offer", "store.reserve"]);
    });
  });

  describe("the PostgreSQL store: idle carts", () => {
    it("keeps a cart idle for 1 h less 1 ms by default, and releases it at 1 h", async () => {
      let clock = T0;
      const store = createPostgresStore({ pool, now: () => clock });
      expect(await store.add({ action: "add", ...S1, sku: "last-one" })).toEqual({ ok: true });
      clock += HOUR - 1;
      expect(await store.releaseExpiredCarts()).toBe(0);
      expect((await store.cart(S1)).items).toHaveLength(1);
      clock += 1;
      expect((await store.cart(S1)).items).toEqual([]);
      expect(await store.releaseExpiredCarts()).toBe(1);
      expect(await reserved("last-one")).toBe(0);
    });

    /** `count` carts idle since `at`, each holding one chips, reserved as the store would. */
    async function idleCarts(count: number, at: number) {
      await schema.sql(
        `WITH made AS (INSERT INTO carts (store_id, session_id, created_at, updated_at) SELECT 'store-1', 'idle-' || i, $2, $2 FROM generate_series(1, $1) i RETURNING cart_id)
         INSERT INTO cart_lines (cart_id, sku, quantity_milli, added_at) SELECT cart_id, 'chips', 1000, $2 FROM made`,
        [count, at],
      );
      await schema.sql("UPDATE stock SET on_hand_milli = on_hand_milli + $1 * 1000, reserved_milli = reserved_milli + $1 * 1000 WHERE store_id = 'store-1' AND sku = 'chips'", [count]);
    }

    it("releaseExpiredCarts() goes on past a full batch of 200 until none is left", async () => {
      await idleCarts(401, T0);
      const store = createPostgresStore({ pool, now: () => T0 + 60_000, cartTtlMs: 60_000 });
      expect(await store.releaseExpiredCarts()).toBe(401);
      expect(await schema.sql("SELECT 1 FROM carts")).toEqual([]);
      expect(await reserved("chips")).toBe(0);
    });

    it("a change to an expired cart outside the first batch still starts it afresh", async () => {
      await idleCarts(200, T0);
      let clock = T0 + 1;
      const store = createPostgresStore({ pool, now: () => clock, cartTtlMs: 60_000 });
      expect(await store.add({ action: "add", ...S1, sku: "milk", quantity: 4 })).toEqual({ ok: true });
      // Every cart is expired; alice's is the newest, so the first batch of 200 leaves it out.
      clock += 60_000;
      expect(await store.add({ action: "add", ...S1, sku: "milk", quantity: 1 })).toEqual({ ok: true });
      expect(await lines()).toEqual([["milk", 1_000]]);
      expect(await reserved("milk")).toBe(1_000);
      expect(await mismatches()).toEqual([]);
    });
  });

  describe("the PostgreSQL store: the budget inside the database", () => {
    it("a stock row another transaction holds: the change gives up (lock_timeout) before its deadline, commits nothing, waits no longer", async () => {
      const holder = new pg.Client({ connectionString: schema.url });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query("SELECT 1 FROM stock WHERE store_id = 'store-1' AND sku = 'milk' FOR UPDATE");
        const store = createPostgresStore({ pool });
        const adding = store.add({ action: "add", ...S1, sku: "milk" }, Date.now() + 1_000).then(
          (answer) => ({ answer }),
          (error: unknown) => ({ error }),
        );
        // Should the store wait on, the row is let go after 15 s so the test ends (and fails).
        let letGo = false;
        const timer = setTimeout(() => void ((letGo = true), holder.query("ROLLBACK")), 15_000);
        const outcome = await adding;
        clearTimeout(timer);
        expect({ outcome, letGo }).toEqual({ outcome: { error: expect.any(DeadlineExceededError) }, letGo: false });
        // This file's connections only: the cluster may be running other tests' lock waits.
        const waiting = await holder.query(
          "SELECT COUNT(*)::integer AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.application_name = $1",
          [schema.name],
        );
        expect(waiting.rows[0].n).toBe(0);
        await holder.query("ROLLBACK");
      } finally {
        await holder.end();
      }
      expect(await lines()).toEqual([]);
      expect(await reserved("milk")).toBe(0);
    });

    it("a statement slower than what is left (statement_timeout): the deadline error, nothing committed", async () => {
      await schema.sql("CREATE OR REPLACE FUNCTION slow_line() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$");
      await schema.sql("CREATE TRIGGER slow_line BEFORE INSERT ON cart_lines FOR EACH ROW EXECUTE FUNCTION slow_line()");
      const store = createPostgresStore({ pool });
      await expect(store.add({ action: "add", ...S1, sku: "milk" }, Date.now() + 800)).rejects.toThrow(DeadlineExceededError);
      expect(await lines()).toEqual([]);
      expect(await reserved("milk")).toBe(0);
    });

    it("without a deadline, the database's own statement_timeout is passed on as it is", async () => {
      await schema.sql("CREATE OR REPLACE FUNCTION slow_line() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$");
      await schema.sql("CREATE TRIGGER slow_line BEFORE INSERT ON cart_lines FOR EACH ROW EXECUTE FUNCTION slow_line()");
      const url = new URL(schema.url);
      url.searchParams.set("options", `${url.searchParams.get("options")} -c statement_timeout=300`);
      const limited = openPool(url.toString(), { max: 1 });
      try {
        const store = createPostgresStore({ pool: limited });
        await expect(store.add({ action: "add", ...S1, sku: "milk" })).rejects.toMatchObject({ code: "57014" });
      } finally {
        await limited.end();
      }
      expect(await lines()).toEqual([]);
      expect(await reserved("milk")).toBe(0);
    });
  });

  describe("the PostgreSQL store: the deadline's edges", () => {
    it("with exactly the margin (150 ms) left, a change does not start: the deadline error, nothing committed", async () => {
      const store = createPostgresStore({ pool, now: () => T0 });
      await expect(store.add({ action: "add", ...S1, sku: "milk" }, T0 + 150)).rejects.toThrow(DeadlineExceededError);
      expect(await lines()).toEqual([]);
      expect(await reserved("milk")).toBe(0);
    });

    it("a change still deciding half the margin (75 ms) before its deadline rolls back; 76 ms before, it commits", async () => {
      let clock = T0;
      const store = createPostgresStore({ pool, now: () => clock });
      // The work before COMMIT (an audit row, the replay answer) is what moves the clock here.
      const addEndingAt = (endsAt: number, sessionId: string) =>
        withinPostgresChange(
          async () => void (clock = endsAt),
          () => store.add({ action: "add", ...S1, session_id: sessionId, sku: "milk" }, T0 + 4_500),
        );
      await expect(addEndingAt(T0 + 4_425, "late")).rejects.toThrow(DeadlineExceededError);
      clock = T0;
      expect(await addEndingAt(T0 + 4_424, "in-time")).toEqual({ ok: true });
      expect([await lines("late"), await lines("in-time")]).toEqual([[], [["milk", 1_000]]]);
      expect(await reserved("milk")).toBe(1_000);
    });
  });

  describe("the PostgreSQL store: a line whose offer was deleted", () => {
    it("update_quantity answers product_not_found, raised or lowered, and keeps the line", async () => {
      const store = createPostgresStore({ pool, now: () => T0 });
      expect(await store.add({ action: "add", ...S1, sku: "milk", quantity: 3 })).toEqual({ ok: true });
      await schema.sql("DELETE FROM stock WHERE store_id = 'store-1' AND sku = 'milk'; DELETE FROM prices WHERE store_id = 'store-1' AND sku = 'milk'");
      expect(await store.updateQuantity({ action: "update_quantity", ...S1, sku: "milk", quantity: 5 })).toEqual({ ok: false, reason: "product_not_found" });
      expect(await store.updateQuantity({ action: "update_quantity", ...S1, sku: "milk", quantity: 1 })).toEqual({ ok: false, reason: "product_not_found" });
      expect(await lines()).toEqual([["milk", 3_000]]);
    });
  });
} else {
  reportSkipped("the PostgreSQL store at its edges", schema.skipReason);
}
