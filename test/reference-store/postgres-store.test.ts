import { afterAll } from "vitest";
import { migratePostgres } from "../../reference-store/postgres/migrations.js";
import { seedPostgresCatalog } from "../../reference-store/postgres/seed.js";
import { createPostgresStore } from "../../reference-store/postgres/store.js";
import { SMALL_CATALOG } from "./helpers.js";
import { postgresReservationMismatches } from "./postgres-helpers.js";
import { createTestSchema, reportSkipped } from "./servers.js";
import { defineStoreContract } from "./store-contract.js";

const schema = await createTestSchema("store");
afterAll(() => schema.drop());

if (schema.skipReason === undefined) {
  const pool = schema.pool(4);
  await migratePostgres(pool);
  defineStoreContract("the store on PostgreSQL", async (clock) => {
    await schema.sql("DROP TRIGGER IF EXISTS fail_line ON cart_lines");
    // DELETE, not TRUNCATE: on tables this small it takes a fraction of the time.
    await schema.sql("DELETE FROM webhook_audit; DELETE FROM cart_lines; DELETE FROM carts; DELETE FROM stock; DELETE FROM prices; DELETE FROM products; DELETE FROM stores");
    await seedPostgresCatalog(pool, SMALL_CATALOG);
    return {
      store: createPostgresStore({ pool, now: clock.now, cartTtlMs: 60_000 }),
      createStore: (options) => createPostgresStore({ pool, cartTtlMs: 60_000, ...options }),
      available: async (sku, storeId = "store-1") =>
        (await schema.sql<{ n: number }>("SELECT (on_hand_milli - reserved_milli) / 1000.0 AS n FROM stock WHERE store_id = $1 AND sku = $2", [storeId, sku]))
          .map((row) => Number(row.n))[0]!,
      cartCount: async () => (await schema.sql<{ n: number }>("SELECT COUNT(*)::integer AS n FROM carts"))[0]!.n,
      setPrice: async (storeId, sku, price) => void (await schema.sql("UPDATE prices SET price = $1 WHERE store_id = $2 AND sku = $3", [price, storeId, sku])),
      setActive: async (sku, active) => void (await schema.sql("UPDATE products SET is_active = $1 WHERE sku = $2", [active, sku])),
      failLinesFor: async (sku, message) => {
        // Literals, not parameters: DDL takes none. Both come from the test itself.
        await schema.sql(`CREATE OR REPLACE FUNCTION fail_line() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.sku = '${sku}' THEN RAISE EXCEPTION '${message}'; END IF; RETURN NEW; END $$`);
        await schema.sql("CREATE TRIGGER fail_line BEFORE INSERT ON cart_lines FOR EACH ROW EXECUTE FUNCTION fail_line()");
      },
      mismatches: () => postgresReservationMismatches(schema.sql),
      close: async () => undefined,
    };
  });
} else {
  reportSkipped("the store on PostgreSQL", schema.skipReason);
}
