import type { Pool } from "pg";
import type { Catalog } from "../catalog.js";
import { milli, productRow } from "../seed.js";
import { inTransaction } from "./database.js";

/**
 * Loads a catalog into an empty PostgreSQL store; a database that already has stores is left
 * alone, so restarts (and instances starting at once: they take turns on an advisory lock) never
 * reset stock or carts. Returns whether it loaded anything.
 *
 * @example
 * await seedPostgresCatalog(pool, loadCatalog(DEFAULT_CATALOG_PATH));
 */
export async function seedPostgresCatalog(pool: Pool, catalog: Catalog): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('vizochok-store seed ' || current_schema(), 0))");
    const { rows } = await client.query<{ empty: boolean }>("SELECT NOT EXISTS (SELECT 1 FROM stores) AS empty");
    if (!rows[0]!.empty) return false;
    // One statement per table, the rows passed as parallel arrays.
    await client.query("INSERT INTO stores (store_id, name) SELECT * FROM unnest($1::text[], $2::text[])", [
      catalog.stores.map((store) => store.store_id),
      catalog.stores.map((store) => store.name),
    ]);
    const products = catalog.products.map(productRow);
    const column = <K extends keyof (typeof products)[number]>(key: K) => products.map((product) => product[key]);
    await client.query(
      `INSERT INTO products (sku, name, brand, category_path, unit, quantity_step_milli, min_quantity_milli,
         max_per_customer_milli, image_url, is_active, search_text, input)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
         $8::bigint[], $9::text[], $10::boolean[], $11::text[], $12::jsonb[])`,
      [
        column("sku"), column("name"), column("brand"), column("category_path"), column("unit"), column("step"), column("min"),
        column("max"), column("image_url"), column("is_active"), column("search_text"), column("input"),
      ],
    );
    const offers = catalog.offers;
    await client.query(
      `INSERT INTO prices (store_id, sku, price, promo_price, promo_label)
       SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::text[])`,
      [
        offers.map((offer) => offer.store_id),
        offers.map((offer) => offer.sku),
        offers.map((offer) => offer.price),
        offers.map((offer) => offer.promo_price ?? null),
        offers.map((offer) => offer.promo_label ?? null),
      ],
    );
    await client.query("INSERT INTO stock (store_id, sku, on_hand_milli) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])", [
      offers.map((offer) => offer.store_id),
      offers.map((offer) => offer.sku),
      offers.map((offer) => milli(offer.stock, offer.sku)),
    ]);
    return true;
  });
}
