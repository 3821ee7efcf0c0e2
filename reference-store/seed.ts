import type { Database } from "better-sqlite3";
import { maxPerCustomer, type Catalog } from "./catalog.js";
import { toMilli } from "./quantity.js";

/**
 * Loads a catalog into an empty database; a database that already has stores is left alone,
 * so restarts (and a second process starting at the same time) never reset stock or carts.
 * Returns whether it loaded anything.
 *
 * @example
 * seedCatalog(db, loadCatalog(DEFAULT_CATALOG_PATH));
 */
export function seedCatalog(db: Database, catalog: Catalog): boolean {
  const isEmpty = db.prepare("SELECT NOT EXISTS (SELECT 1 FROM stores) AS empty").pluck();
  const insertStore = db.prepare("INSERT INTO stores (store_id, name) VALUES (?, ?)");
  const insertProduct = db.prepare(`
    INSERT INTO products (sku, name, brand, category_path, unit, quantity_step_milli, min_quantity_milli,
      max_per_customer_milli, image_url, is_active, search_text, input)
    VALUES (@sku, @name, @brand, @category_path, @unit, @step, @min, @max, @image_url, @is_active, @search_text, @input)`);
  const insertPrice = db.prepare(
    "INSERT INTO prices (store_id, sku, price, promo_price, promo_label) VALUES (?, ?, ?, ?, ?)",
  );
  const insertStock = db.prepare("INSERT INTO stock (store_id, sku, on_hand_milli) VALUES (?, ?, ?)");

  return db
    .transaction(() => {
      if (isEmpty.get() !== 1) return false;
      for (const store of catalog.stores) insertStore.run(store.store_id, store.name);
      for (const product of catalog.products) {
        insertProduct.run({ ...productRow(product), is_active: product.is_active ? 1 : 0 });
      }
      for (const offer of catalog.offers) {
        insertPrice.run(offer.store_id, offer.sku, offer.price, offer.promo_price ?? null, offer.promo_label ?? null);
        insertStock.run(offer.store_id, offer.sku, milli(offer.stock, offer.sku));
      }
      return true;
    })
    .immediate();
}

/** A catalog product as its `products` row: quantities in thousandths, the text search reads. */
export function productRow(product: Catalog["products"][number]) {
  const step = milli(product.quantity_step ?? 1, product.sku);
  const limit = maxPerCustomer(product.attributes);
  return {
    sku: product.sku,
    name: product.name,
    brand: product.brand ?? null,
    category_path: product.category_path ?? null,
    unit: product.unit,
    step,
    min: product.min_quantity === undefined ? step : milli(product.min_quantity, product.sku),
    max: limit === undefined ? null : milli(limit, product.sku),
    image_url: product.image_url ?? null,
    is_active: product.is_active,
    search_text: [product.name, product.brand, product.category_path, product.sku].filter(Boolean).join(" ").toLowerCase(),
    input: JSON.stringify(product),
  };
}

/** A catalog quantity in thousandths; a RangeError naming the product when it has more than three decimals. */
export function milli(quantity: number, sku: string): number {
  const value = toMilli(quantity);
  if (value === undefined) throw new RangeError(`catalog: ${sku} has a quantity with more than three decimals (${quantity})`);
  return value;
}
