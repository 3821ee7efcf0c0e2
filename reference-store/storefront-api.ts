import type { Database } from "better-sqlite3";
import { Router, type Response } from "express";
import { z } from "zod";
import { createProductListing } from "./product-listing.js";
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

/**
 * The store's own JSON API for its storefront: product search, a shopper's cart, and a health
 * check. Read-only; carts change only through the webhooks.
 *
 * @example
 * app.use(createStorefrontRouter({ db, store }));
 */
export function createStorefrontRouter(options: { db: Database; store: Store }): Router {
  const { db, store } = options;
  const listing = createProductListing(db);
  const storeExists = db.prepare<[string], number>("SELECT 1 FROM stores WHERE store_id = ?").pluck();
  const firstStore = db.prepare<[], string>("SELECT store_id FROM stores ORDER BY store_id LIMIT 1").pluck();
  const schemaVersion = () => db.pragma("user_version", { simple: true }) as number;
  const router = Router();

  router.get("/api/products", function listProducts(request, response) {
    const query = ProductsQuery.safeParse(request.query);
    if (!query.success) return invalid(response, query.error);
    const storeId = query.data.store_id ?? firstStore.get();
    if (storeId === undefined || storeExists.get(storeId) === undefined) {
      return response.status(404).json({ error: "store_not_found", message: `no store ${storeId ?? ""}` });
    }
    store.releaseExpiredCarts();
    response.json({ store_id: storeId, ...listing.list({ ...query.data, store_id: storeId }) });
  });

  router.get("/api/cart", function showCart(request, response) {
    const query = CartQuery.safeParse(request.query);
    if (!query.success) return invalid(response, query.error);
    response.json({ ...query.data, ...store.cart(query.data) });
  });

  router.get("/healthz", function health(_request, response) {
    response.set("cache-control", "no-store");
    let version: number;
    try {
      version = schemaVersion();
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
