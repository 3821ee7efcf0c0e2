// A real deadlock between a cart change and another transaction: PostgreSQL aborts the change
// (SQLSTATE 40P01), the store rolls back and runs it again while the budget lasts.
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DeadlineExceededError } from "../../reference-store/deadline.js";
import { migratePostgres } from "../../reference-store/postgres/migrations.js";
import { seedPostgresCatalog } from "../../reference-store/postgres/seed.js";
import { createPostgresStore } from "../../reference-store/postgres/store.js";
import { SMALL_CATALOG } from "./helpers.js";
import { postgresReservationMismatches } from "./postgres-helpers.js";
import { createTestSchema, reportSkipped } from "./servers.js";

const schema = await createTestSchema("deadlock");
afterAll(() => schema.drop());

if (schema.skipReason === undefined) {
  const pool = schema.pool(4);
  await migratePostgres(pool);
  await seedPostgresCatalog(pool, SMALL_CATALOG);
  // Every attempt of a change checks out a connection of its own.
  let checkouts = 0;
  pool.on("acquire", () => void checkouts++);

  describe("the PostgreSQL store in a deadlock", () => {
    /**
     * Another transaction holds the milk stock row; the store's transaction takes a lock of its
     * own (an add the cart's lock, a sweep the cheese row) and waits for the milk row; then the
     * other transaction asks for that lock (`second`): a cycle. The other session waits 30 s
     * before looking for deadlocks, the store's session 1 s (the server's default), so
     * PostgreSQL aborts the store's transaction. Resolves once it has, with the other
     * transaction holding both locks.
     */
    async function deadlock(second: [string, unknown[]], add: () => Promise<unknown>, whileWaiting = () => {}) {
      const other = new pg.Client({ connectionString: schema.url });
      await other.connect();
      await other.query("SET deadlock_timeout = '30s'");
      const otherPid = (await other.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      await other.query("BEGIN");
      await other.query("SELECT 1 FROM stock WHERE store_id = 'store-1' AND sku = 'milk' FOR UPDATE");
      checkouts = 0;
      const adding = add().then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error }),
      );
      // The store's transaction is waiting for the row lock.
      for (;;) {
        const [row] = await schema.sql<{ n: number }>(
          "SELECT COUNT(*)::integer AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' AND pid <> $2",
          [schema.name, otherPid],
        );
        if (row!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      whileWaiting();
      // Granted only once PostgreSQL has aborted the store's transaction and it rolled back.
      await other.query(...second);
      return { adding, other };
    }

    const cartLock = (sessionId: string): [string, unknown[]] => ["SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))", ["store-1", sessionId]];

    const line = async (sessionId: string) =>
      (await schema.sql<{ milli: number }>(
        "SELECT l.quantity_milli::integer AS milli FROM carts c JOIN cart_lines l USING (cart_id) WHERE c.store_id = 'store-1' AND c.session_id = $1 AND l.sku = 'milk'",
        [sessionId],
      )).map((row) => row.milli);

    it("an add aborted by the deadlock (40P01) is run again once the other transaction ends, and applied once", async () => {
      const store = createPostgresStore({ pool });
      const { adding, other } = await deadlock(cartLock("s-deadlock"), () =>
        store.add({ action: "add", store_id: "store-1", session_id: "s-deadlock", sku: "milk", quantity: 1 }, Date.now() + 4_500),
      );
      // The second attempt now waits for the cart's lock, which the other transaction holds.
      await other.query("ROLLBACK");
      await other.end();
      expect(await adding).toEqual({ answer: { ok: true } });
      expect(checkouts).toBe(2);
      expect(await line("s-deadlock")).toEqual([1_000]);
      expect(await postgresReservationMismatches(schema.sql)).toEqual([]);
    });

    it("without a deadline, an add aborted by the deadlock is run again too", async () => {
      const store = createPostgresStore({ pool });
      const { adding, other } = await deadlock(cartLock("s-no-deadline"), () =>
        store.add({ action: "add", store_id: "store-1", session_id: "s-no-deadline", sku: "milk", quantity: 1 }),
      );
      await other.query("ROLLBACK");
      await other.end();
      expect(await adding).toEqual({ answer: { ok: true } });
      expect(checkouts).toBe(2);
      expect(await line("s-no-deadline")).toEqual([1_000]);
    });

    it("with only the margin (150 ms) left by then, the add is not run again: the deadline error, nothing committed", async () => {
      // The store's clock jumps while its transaction waits, as if the wait had used the budget.
      const start = Date.now();
      let clock = start;
      const store = createPostgresStore({ pool, now: () => clock });
      const { adding, other } = await deadlock(
        cartLock("s-late"),
        () => store.add({ action: "add", store_id: "store-1", session_id: "s-late", sku: "milk", quantity: 1 }, start + 4_500),
        () => void (clock = start + 4_350),
      );
      await other.query("ROLLBACK");
      await other.end();
      const outcome = await adding;
      expect(outcome).toEqual({ error: expect.any(DeadlineExceededError) });
      expect(checkouts).toBe(1);
      expect(await line("s-late")).toEqual([]);
      expect(await postgresReservationMismatches(schema.sql)).toEqual([]);
    });

    it("a sweep aborted by a deadlock (40P01) is run again and releases the idle cart once", async () => {
      // Ten minutes back: the carts the other tests left (on the real clock) are not expired.
      let clock = Date.now() - 600_000;
      const store = createPostgresStore({ pool, now: () => clock, cartTtlMs: 60_000 });
      expect(await store.add({ action: "add", store_id: "store-1", session_id: "s-idle", sku: "cheese", quantity: 0.5 })).toEqual({ ok: true });
      expect(await store.add({ action: "add", store_id: "store-1", session_id: "s-idle", sku: "milk", quantity: 2 })).toEqual({ ok: true });
      clock += 60_000;
      // The other transaction is a change whose own sweep took the milk row and which now reserves
      // cheese; the sweep locks the idle cart's rows in order, cheese first, then waits for milk.
      const { adding, other } = await deadlock(["SELECT 1 FROM stock WHERE store_id = 'store-1' AND sku = 'cheese' FOR UPDATE", []], () =>
        store.releaseExpiredCarts(),
      );
      await other.query("ROLLBACK");
      await other.end();
      expect(await adding).toEqual({ answer: 1 });
      expect(await line("s-idle")).toEqual([]);
      expect(await schema.sql("SELECT session_id FROM carts WHERE session_id = 's-idle'")).toEqual([]);
      expect(await postgresReservationMismatches(schema.sql)).toEqual([]);
    });
  });
} else {
  reportSkipped("the PostgreSQL store in a deadlock", schema.skipReason);
}
