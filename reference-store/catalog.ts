import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ProductInput, Sku } from "vizochok-merchant-kit";

/** `fixtures/catalog.json`, the catalog a fresh store database is seeded with. */
export const DEFAULT_CATALOG_PATH = fileURLToPath(new URL("../fixtures/catalog.json", import.meta.url));

const Money = z.number().finite().nonnegative();

export const CatalogStore = z.object({ store_id: z.string().min(1), name: z.string().min(1) });
export type CatalogStore = z.infer<typeof CatalogStore>;

/** One product's price, promo and stock in one store. Stock is in the product's unit (kg may be fractional). */
export const CatalogOffer = z.object({
  store_id: z.string().min(1),
  sku: Sku,
  price: Money,
  promo_price: Money.optional(),
  promo_label: z.string().min(1).optional(),
  stock: z.number().finite().nonnegative(),
});
export type CatalogOffer = z.infer<typeof CatalogOffer>;

export const Catalog = z
  .object({
    stores: z.array(CatalogStore).min(1),
    products: z.array(ProductInput),
    offers: z.array(CatalogOffer),
  })
  .superRefine((catalog, issues) => {
    const stores = new Set(catalog.stores.map((s) => s.store_id));
    const skus = new Set(catalog.products.map((p) => p.sku));
    catalog.offers.forEach((offer, index) => {
      if (!stores.has(offer.store_id)) issues.addIssue({ code: "custom", path: ["offers", index, "store_id"], message: `unknown store ${offer.store_id}` });
      if (!skus.has(offer.sku)) issues.addIssue({ code: "custom", path: ["offers", index, "sku"], message: `unknown sku ${offer.sku}` });
    });
  });
export type Catalog = z.output<typeof Catalog>;
export type CatalogInput = z.input<typeof Catalog>;

/**
 * Reads and validates a catalog file; throws with the first problem when it does not parse.
 *
 * @example
 * const catalog = loadCatalog(DEFAULT_CATALOG_PATH);
 */
export function loadCatalog(path: string): Catalog {
  const parsed = Catalog.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid catalog"}`);
  }
  return parsed.data;
}

/** The per-customer limit a product carries in `attributes.max_per_customer`, if any. */
export function maxPerCustomer(attributes: Record<string, unknown> | undefined): number | undefined {
  const limit = attributes?.["max_per_customer"];
  return typeof limit === "number" && limit > 0 ? limit : undefined;
}
