import type { Database } from "better-sqlite3";
import { fromMilli } from "./quantity.js";

export interface ProductQuery {
  store_id: string;
  /** Words matched, case-insensitively and in any alphabet, against name, brand, category and SKU. */
  q?: string | undefined;
  /** A category or one of its parents: "Dairy" matches "Dairy > Milk". */
  category?: string | undefined;
  limit: number;
  offset: number;
}

/** A storefront product card: the catalog entry with this store's price, promo and stock. */
export interface ListedProduct {
  sku: string;
  name: string;
  brand: string | null;
  category_path: string | null;
  unit: string;
  quantity_step: number;
  min_quantity: number;
  image_url: string | null;
  price: number;
  promo_price: number | null;
  promo_label: string | null;
  in_stock: boolean;
  /** What is left to reserve, in the product's unit. */
  available: number;
}

export interface ProductPage {
  items: ListedProduct[];
  total: number;
  limit: number;
  offset: number;
}

/** A listed product as the listing's SELECT reads it: quantities in thousandths. */
export interface ListedProductRow extends Omit<ListedProduct, "quantity_step" | "min_quantity" | "in_stock" | "available"> {
  quantity_step_milli: number;
  min_quantity_milli: number;
  available_milli: number;
}

/** The storefront card of a listing row: quantities in the product's unit, in stock when the minimum is left. */
export function toListedProduct(row: ListedProductRow): ListedProduct {
  return {
    sku: row.sku,
    name: row.name,
    brand: row.brand,
    category_path: row.category_path,
    unit: row.unit,
    quantity_step: fromMilli(row.quantity_step_milli),
    min_quantity: fromMilli(row.min_quantity_milli),
    image_url: row.image_url,
    price: row.price,
    promo_price: row.promo_price,
    promo_label: row.promo_label,
    in_stock: row.available_milli >= row.min_quantity_milli,
    available: fromMilli(Math.max(0, row.available_milli)),
  };
}

/**
 * Search and paging over the active products one store sells, in a single prepared statement.
 *
 * @example
 * createProductListing(db).list({ store_id: "store-1", q: "молоко", limit: 20, offset: 0 });
 */
export function createProductListing(db: Database): { list(query: ProductQuery): ProductPage } {
  // `search_text` is lower-cased in JavaScript at seed time, so Cyrillic matches as well as Latin.
  const from = `
    FROM products p
    JOIN prices pr ON pr.sku = p.sku AND pr.store_id = @store_id
    JOIN stock s ON s.sku = p.sku AND s.store_id = @store_id
    WHERE p.is_active = 1
      AND (@q IS NULL OR instr(p.search_text, @q) > 0)
      AND (@category IS NULL OR p.category_path = @category OR substr(p.category_path, 1, length(@category) + 3) = @category || ' > ')`;
  type Params = { store_id: string; q: string | null; category: string | null };
  const select = db.prepare<Params & { limit: number; offset: number }, ListedProductRow>(`
    SELECT p.sku, p.name, p.brand, p.category_path, p.unit, p.quantity_step_milli, p.min_quantity_milli, p.image_url,
      pr.price, pr.promo_price, pr.promo_label, s.on_hand_milli - s.reserved_milli AS available_milli
    ${from}
    ORDER BY p.category_path, p.name, p.sku
    LIMIT @limit OFFSET @offset`);
  const count = db.prepare<Params, number>(`SELECT COUNT(*) ${from}`).pluck();

  return {
    list(query) {
      const q = query.q?.trim().toLowerCase() || null;
      const params: Params = { store_id: query.store_id, q, category: query.category || null };
      const rows = select.all({ ...params, limit: query.limit, offset: query.offset });
      return {
        items: rows.map(toListedProduct),
        total: count.get(params) ?? 0,
        limit: query.limit,
        offset: query.offset,
      };
    },
  };
}
