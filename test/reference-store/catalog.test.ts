import { readFileSync } from "node:fs";
import { ProductInput } from "vizochok-merchant-kit";
import { describe, expect, it } from "vitest";
import { Catalog, DEFAULT_CATALOG_PATH, loadCatalog, maxPerCustomer } from "../../reference-store/catalog.js";

const catalog = loadCatalog(DEFAULT_CATALOG_PATH);
const offer = (store: string, sku: string) => catalog.offers.find((o) => o.store_id === store && o.sku === sku);

describe("fixtures/catalog.json", () => {
  it("parses through the catalog schema, every product through the kit's ProductInput", () => {
    const raw = JSON.parse(readFileSync(DEFAULT_CATALOG_PATH, "utf8")) as { products: unknown[] };
    expect(Catalog.safeParse(raw).success).toBe(true);
    for (const product of raw.products) expect(ProductInput.safeParse(product).success).toBe(true);
  });

  it("has at least 200 products across at least 12 top-level categories", () => {
    expect(catalog.products.length).toBeGreaterThanOrEqual(200);
    const categories = new Set(catalog.products.map((p) => p.category_path?.split(" > ")[0]));
    expect(categories.size).toBeGreaterThanOrEqual(12);
  });

  it("sells some goods by weight in 0.1 kg steps", () => {
    const byWeight = catalog.products.filter((p) => p.unit === "kg");
    expect(byWeight.length).toBeGreaterThan(0);
    for (const p of byWeight) expect(p.quantity_step).toBe(0.1);
  });

  it("has Ukrainian names, inactive products and a per-customer limit", () => {
    expect(catalog.products.some((p) => /[а-яіїєґ]/i.test(p.name))).toBe(true);
    expect(catalog.products.some((p) => !p.is_active)).toBe(true);
    expect(maxPerCustomer(catalog.products.find((p) => p.sku === "snack-001")?.attributes)).toBe(3);
  });

  it("prices every store separately, with promos, zero and low stock", () => {
    expect(catalog.stores.map((s) => s.store_id)).toEqual(expect.arrayContaining(["store-1", "store-2"]));
    for (const store of ["store-1", "store-2"]) {
      const offers = catalog.offers.filter((o) => o.store_id === store);
      expect(offers.some((o) => o.promo_price !== undefined && o.promo_label !== undefined)).toBe(true);
    }
    expect(catalog.offers.some((o) => o.stock === 0)).toBe(true);
    expect(catalog.offers.some((o) => o.stock >= 1 && o.stock <= 3)).toBe(true);
    expect(offer("store-1", "milk-001")).toMatchObject({ price: 42.5, promo_price: 38.9, promo_label: "-8%" });
    expect(offer("store-1", "milk-003")?.stock).toBe(0);
  });
});

describe("Catalog", () => {
  it("rejects an offer for a product the catalog does not have", () => {
    const parsed = Catalog.safeParse({
      stores: [{ store_id: "s", name: "S" }],
      products: [],
      offers: [{ store_id: "s", sku: "ghost", price: 1, stock: 1 }],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(["offers", 0, "sku"]);
  });

  it("rejects negative stock", () => {
    const parsed = Catalog.safeParse({
      stores: [{ store_id: "s", name: "S" }],
      products: [{ sku: "a", name: "A" }],
      offers: [{ store_id: "s", sku: "a", price: 1, stock: -1 }],
    });
    expect(parsed.success).toBe(false);
  });
});
