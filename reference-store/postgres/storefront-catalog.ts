import type { Pool } from "pg";
import { toListedProduct, type ListedProduct, type ListedProductRow, type ProductPage } from "../product-listing.js";
import type { StorefrontCatalog } from "../storefront-api.js";
import { hasNul } from "./database.js";

// Sorted as SQLite sorts (bytewise, NULL first) so both backends page alike.
// `search_text` is lower-cased in JavaScript at seed time, so Cyrillic matches as well as Latin.
const FROM = `
  FROM products p
  JOIN prices pr ON pr.sku = p.sku AND pr.store_id = $1
  JOIN stock s ON s.sku = p.sku AND s.store_id = $1
  WHERE p.is_active
    AND ($2::text IS NULL OR strpos(p.search_text, $2) > 0)
    AND ($3::text IS NULL OR p.category_path = $3 OR left(p.category_path, length($3) + 3) = $3 || ' > ')`;

/**
 * The storefront's catalog reads over PostgreSQL: the same search and paging as SQLite's.
 *
 * @example
 * createStorefrontRouter({ catalog: createPostgresStorefrontCatalog(pool), store });
 */
export function createPostgresStorefrontCatalog(pool: Pool): StorefrontCatalog {
  return {
    async list(query): Promise<ProductPage> {
      const q = query.q?.trim().toLowerCase() || null;
      const category = query.category || null;
      const page = { items: [] as ListedProduct[], total: 0, limit: query.limit, offset: query.offset };
      if (hasNul(query.store_id, q ?? undefined, category ?? undefined)) return page;
      const params = [query.store_id, q, category];
      const [rows, count] = await Promise.all([
        pool.query<ListedProductRow>({
          name: "storefront.list",
          text: `SELECT p.sku, p.name, p.brand, p.category_path, p.unit, p.quantity_step_milli, p.min_quantity_milli, p.image_url,
              pr.price, pr.promo_price, pr.promo_label, s.on_hand_milli - s.reserved_milli AS available_milli
            ${FROM} ORDER BY p.category_path COLLATE "C" NULLS FIRST, p.name COLLATE "C", p.sku COLLATE "C" LIMIT $4 OFFSET $5`,
          values: [...params, query.limit, query.offset],
        }),
        pool.query<{ total: number }>({ name: "storefront.count", text: `SELECT COUNT(*)::integer AS total ${FROM}`, values: params }),
      ]);
      page.items = rows.rows.map(toListedProduct);
      page.total = count.rows[0]?.total ?? 0;
      return page;
    },
    async firstStoreId() {
      const { rows } = await pool.query<{ store_id: string }>('SELECT store_id FROM stores ORDER BY store_id COLLATE "C" LIMIT 1');
      return rows[0]?.store_id;
    },
    async hasStore(storeId) {
      if (hasNul(storeId)) return false;
      const { rows } = await pool.query("SELECT 1 FROM stores WHERE store_id = $1", [storeId]);
      return rows.length > 0;
    },
    async schemaVersion() {
      const { rows } = await pool.query<{ version: number }>("SELECT COALESCE(MAX(version), 0)::integer AS version FROM schema_migrations");
      return rows[0]!.version;
    },
  };
}
