import type { Database } from "better-sqlite3";
import { Router, type Response } from "express";
import { z } from "zod";
import type { MaybePromise } from "./maybe-promise.js";
import { createProductListing, type ProductPage, type ProductQuery } from "./product-listing.js";
import type { Store } from "./store.js";

const Text = z.string().trim().min(1).max(256);

const ProductsQuery = z.object({
  store_id: Text.optional(),
  q: z.string().max(200).optional(),
  category: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

const CartQuery = z.object({ store_id: Text, session_id: Text });

/** What the storefront reads besides the store's carts, from whichever database holds the catalog. */
export interface StorefrontCatalog {
  list(query: ProductQuery): MaybePromise<ProductPage>;
  /** The store shown when the query names none: the first by id. */
  firstStoreId(): MaybePromise<string | undefined>;
  hasStore(storeId: string): MaybePromise<boolean>;
  schemaVersion(): MaybePromise<number>;
}

/**
 * The storefront's catalog reads over the SQLite database.
 *
 * @example
 * createStorefrontRouter({ catalog: createSqliteStorefrontCatalog(db), store });
 */
export function createSqliteStorefrontCatalog(db: Database): StorefrontCatalog {
  const listing = createProductListing(db);
  const storeExists = db.prepare<[string], number>("SELECT 1 FROM stores WHERE store_id = ?").pluck();
  const firstStore = db.prepare<[], string>("SELECT store_id FROM stores ORDER BY store_id LIMIT 1").pluck();
  return {
    list: (query) => listing.list(query),
    firstStoreId: () => firstStore.get(),
    hasStore: (storeId) => storeExists.get(storeId) !== undefined,
    schemaVersion: () => db.pragma("user_version", { simple: true }) as number,
  };
}

/**
 * The store's own JSON API for its storefront: product search, a shopper's cart, and a health
 * check. Read-only; carts change only through the webhooks.
 *
 * @example
 * app.use(createStorefrontRouter({ catalog: createSqliteStorefrontCatalog(db), store }));
 */
export function createStorefrontRouter(options: { catalog: StorefrontCatalog; store: Store }): Router {
  const { catalog, store } = options;
  const router = Router();

  router.get("/api/products", async function listProducts(request, response) {
    const query = ProductsQuery.safeParse(request.query);
    if (!query.success) return invalid(response, query.error);
    const storeId = query.data.store_id ?? (await catalog.firstStoreId());
    if (storeId === undefined || !(await catalog.hasStore(storeId))) {
      return response.status(404).json({ error: "store_not_found", message: `no store ${storeId ?? ""}` });
    }
    await store.releaseExpiredCarts();
    response.json({ store_id: storeId, ...(await catalog.list({ ...query.data, store_id: storeId })) });
  });

  router.get("/api/cart", async function showCart(request, response) {
    const query = CartQuery.safeParse(request.query);
    if (!query.success) return invalid(response, query.error);
    response.json({ ...query.data, ...(await store.cart(query.data)) });
  });

  router.get("/healthz", async function health(_request, response) {
    response.set("cache-control", "no-store");
    let version: number;
    try {
      version = await catalog.schemaVersion();
    } catch {
      // A load balancer takes the instance out of rotation; the process itself keeps running.
      return response.status(503).json({ ok: false, error: "database_unavailable" });
    }
    response.json({ ok: true, schema_version: version });
  });

  return router;
}

function invalid(response: Response, error: z.ZodError): void {
  const issue = error.issues[0];
  response.status(400).json({ error: "invalid_request", message: `${issue?.path.join(".") ?? "query"}: ${issue?.message ?? "invalid"}` });
}
