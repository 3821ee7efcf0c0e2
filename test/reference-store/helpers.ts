// Shared by the reference store's tests: a small catalog with exact numbers, signed requests,
// and servers on ephemeral ports.
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Express } from "express";
import { signWebhook, silentLogger } from "vizochok-merchant-kit";
import { createStoreApp, type StoreApp, type StoreAppOptions } from "../../reference-store/app.js";
import type { CatalogInput } from "../../reference-store/catalog.js";
import { Catalog } from "../../reference-store/catalog.js";

export const SECRET = "whsec_reference_store_test";
export const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

/** Stock is exact here so tests can count units; the real fixture is checked separately. */
export const SMALL_CATALOG: Catalog = Catalog.parse({
  stores: [
    { store_id: "store-1", name: "Test Market 1" },
    { store_id: "store-2", name: "Test Market 2" },
  ],
  products: [
    { sku: "milk", name: "Milk 2.5% 1 l", brand: "Lactel", category_path: "Dairy > Milk", unit: "pcs", quantity_step: 1 },
    { sku: "last-one", name: "Kefir 1 l", brand: "Halychyna", category_path: "Dairy > Kefir" },
    { sku: "sold-out", name: "Ryazhanka 0.5 l", category_path: "Dairy > Kefir" },
    { sku: "cheese", name: "Сир Звенигора Голландський", brand: "Звенигора", category_path: "Cheese > Hard Cheese", unit: "kg", quantity_step: 0.1, min_quantity: 0.2 },
    { sku: "chips", name: "Pringles Original", category_path: "Snacks > Chips", attributes: { max_per_customer: 3 } },
    { sku: "retired", name: "Old Yogurt", category_path: "Dairy > Yogurt", is_active: false },
    { sku: "only-store-2", name: "Podil Bread", category_path: "Bakery > Bread" },
  ],
  offers: [
    { store_id: "store-1", sku: "milk", price: 42.5, promo_price: 38.9, promo_label: "-8%", stock: 10 },
    { store_id: "store-2", sku: "milk", price: 40, stock: 5 },
    { store_id: "store-1", sku: "last-one", price: 35, stock: 1 },
    { store_id: "store-1", sku: "sold-out", price: 29.9, stock: 0 },
    { store_id: "store-1", sku: "cheese", price: 359.9, stock: 2.5 },
    { store_id: "store-1", sku: "chips", price: 89.9, stock: 50 },
    { store_id: "store-1", sku: "retired", price: 19.9, stock: 10 },
    { store_id: "store-2", sku: "only-store-2", price: 25, stock: 8 },
  ],
} satisfies CatalogInput);

/** A clock tests move by hand. */
export function createClock(start = T0): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) };
}

export function createTestApp(options: Partial<StoreAppOptions> = {}): StoreApp {
  return createStoreApp({ databasePath: ":memory:", secret: SECRET, seed: SMALL_CATALOG, logger: silentLogger, ...options });
}

/** Headers for a POST exactly as VIZOCHOK signs it; `now` in ms (defaults to the real clock). */
export function signedPost(body: unknown, now = Date.now()): { body: string; headers: Record<string, string> } {
  const raw = JSON.stringify(body);
  return {
    body: raw,
    headers: { "content-type": "application/json", ...signWebhook({ secret: SECRET, body: raw, timestamp: Math.floor(now / 1000) }) },
  };
}

export function signedGetHeaders(now = Date.now()): Record<string, string> {
  return { ...signWebhook({ secret: SECRET, timestamp: Math.floor(now / 1000) }) };
}

export async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function makeTempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "reference-store-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every (store, sku) whose reserved stock is not the sum of its cart lines, or is out of bounds. */
export function reservationMismatches(db: StoreApp["db"]): unknown[] {
  return db
    .prepare(
      `SELECT s.store_id, s.sku, s.on_hand_milli, s.reserved_milli, COALESCE(SUM(l.quantity_milli), 0) AS in_carts
       FROM stock s
       LEFT JOIN carts c ON c.store_id = s.store_id
       LEFT JOIN cart_lines l ON l.cart_id = c.cart_id AND l.sku = s.sku
       GROUP BY s.store_id, s.sku
       HAVING s.reserved_milli != in_carts OR s.reserved_milli < 0 OR s.reserved_milli > s.on_hand_milli`,
    )
    .all();
}
