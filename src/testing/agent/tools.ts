import {
  CartGetResponse,
  CartResponse,
  ProductsResponse,
  type CartItem,
  type CartRequest,
  type Product,
  type ProductItem,
  type ProductOffer,
  type SessionSummary,
} from "../../schemas.js";
import type { SearchHit, SearchIndex } from "../search/search-index.js";
import { roundQuantity, summarize, type CartChange, type SelectionStore } from "../chat/selection.js";
import type { Tenant } from "../platform/tenants.js";
import type { DeliveryKind, WebhookSender, WebhookTarget } from "../platform/webhook-sender.js";

export type StatusCode = "searching" | "checking_prices" | "updating_cart";

export interface ToolTarget {
  storeId: string;
  /** The shopper: the widget's `userId`, or an id the stub generated. */
  sessionId: string;
}

/**
 * Prices one conversation was shown, by SKU. VIZOCHOK stores no prices: a price lives only in
 * the conversation that received it from the products webhook, never across shoppers.
 */
export type ConversationPrices = Map<string, ProductOffer>;

export interface ProductSearch {
  query: string;
  /** In-stock products at the store's prices, best match first. */
  items: ProductItem[];
  /** SKUs the search found and sent to the products webhook. */
  found: string[];
  /** True when the products webhook failed: every product counts as unavailable. */
  failed: boolean;
}

export interface PriceCheck {
  offers: Map<string, ProductOffer>;
  failed: boolean;
}

/** A cart change confirmed by the store, or the reason it was refused. */
export type CartOutcome =
  | { ok: true; change: CartChange; summary: SessionSummary }
  | { ok: false; reason: string; sku?: string };

/**
 * What the agent (or a test) can do for one tenant. Every cart change goes through the store's
 * cart webhook first; the stub's mirror of the cart changes only when the store says `ok`.
 */
export interface StubTools {
  /** The search index alone, no webhook: SKUs with fused scores. */
  rankCatalog(query: string, limit?: number): SearchHit[];
  searchProducts(input: { storeId: string; query: string; limit?: number; prices?: ConversationPrices }): Promise<ProductSearch>;
  /** Calls the products webhook; the offers it returns are kept in `prices` when given. */
  checkProducts(input: { storeId: string; skus: string[]; prices?: ConversationPrices }): Promise<PriceCheck>;
  getProduct(sku: string): Product | undefined;
  /** Active products in a category, catalog order. */
  productsInCategory(category: string): Product[];
  /**
   * Adds at the price in `prices` when the conversation has one; otherwise asks the products
   * webhook first, and refuses (`product_not_found`, or `webhook_error` when it failed) a
   * product it does not return.
   */
  addToSelection(input: ToolTarget & { sku: string; quantity?: number; prices?: ConversationPrices }): Promise<CartOutcome>;
  removeFromSelection(input: ToolTarget & { sku: string }): Promise<CartOutcome>;
  updateSelectionQuantity(input: ToolTarget & { sku: string; quantity: number; prices?: ConversationPrices }): Promise<CartOutcome>;
  clearSelection(input: ToolTarget): Promise<CartOutcome>;
  getSelection(input: ToolTarget): SessionSummary;
  /** Calls cart GET and replaces the mirror; a failure leaves an empty cart. */
  loadSelection(input: ToolTarget): Promise<{ ok: boolean; summary: SessionSummary }>;
}

export interface ToolHooks {
  status?(code: StatusCode): void;
  /** Called before each step that costs a round (a search or a webhook). */
  round?(): void;
}

export interface ToolDependencies {
  tenant: Tenant;
  index: SearchIndex;
  sender: WebhookSender;
  selections: SelectionStore;
}

const DEFAULT_CARDS = 6;
const MAX_SKUS_PER_CHECK = 10;

export function createStubTools(deps: ToolDependencies, hooks: ToolHooks = {}): StubTools {
  const { tenant } = deps;
  const target = (kind: DeliveryKind, url: string): WebhookTarget => ({
    tenantId: tenant.id,
    kind,
    url,
    secret: tenant.webhooks.secret,
    timeoutMs: tenant.webhooks.timeout_seconds * 1000,
  });
  const selectionOf = (input: ToolTarget) => deps.selections.get(tenant.id, input.storeId, input.sessionId);

  async function checkProducts(input: { storeId: string; skus: string[]; prices?: ConversationPrices }): Promise<PriceCheck> {
    hooks.round?.();
    const asked = new Set(input.skus);
    const result = await deps.sender.post(target("products", tenant.webhooks.products_url), { skus: input.skus, store_id: input.storeId }, ProductsResponse);
    if (!result.ok) return { offers: new Map(), failed: true };
    const offers = new Map<string, ProductOffer>();
    for (const offer of result.data.products) {
      // SKUs nobody asked for are ignored, as VIZOCHOK does.
      if (!asked.has(offer.sku)) continue;
      offers.set(offer.sku, offer);
      input.prices?.set(offer.sku, offer);
    }
    return { offers, failed: false };
  }

  async function changeCart(input: ToolTarget, request: CartRequest, apply: () => CartChange): Promise<CartOutcome> {
    const url = tenant.webhooks.cart_url;
    if (url !== undefined) {
      hooks.status?.("updating_cart");
      hooks.round?.();
      const result = await deps.sender.post(target("cart", url), request, CartResponse);
      if (!result.ok) return { ok: false, reason: result.outcome === "timeout" ? "webhook_timeout" : "webhook_error", ...skuOf(request) };
      if (!result.data.ok) return { ok: false, reason: result.data.reason, ...skuOf(request) };
    }
    const change = apply();
    return { ok: true, change, summary: summarize(selectionOf(input)) };
  }

  /** The price this conversation saw, or a fresh one from the products webhook. */
  async function priceFor(storeId: string, sku: string, prices: ConversationPrices | undefined): Promise<ProductOffer | "missing" | "failed"> {
    const seen = prices?.get(sku);
    if (seen !== undefined) return seen;
    const check = await checkProducts({ storeId, skus: [sku], ...(prices !== undefined ? { prices } : {}) });
    if (check.failed) return "failed";
    return check.offers.get(sku) ?? "missing";
  }

  return {
    rankCatalog(query, limit) {
      return deps.index.search(tenant.id, query, limit === undefined ? {} : { limit });
    },

    async searchProducts(input) {
      hooks.status?.("searching");
      hooks.round?.();
      const limit = input.limit ?? DEFAULT_CARDS;
      const found = deps.index.search(tenant.id, input.query, { limit: Math.min(MAX_SKUS_PER_CHECK, limit * 2) }).map((hit) => hit.sku);
      if (found.length === 0) return { query: input.query, items: [], found, failed: false };
      hooks.status?.("checking_prices");
      const check = await checkProducts({ storeId: input.storeId, skus: found, ...(input.prices !== undefined ? { prices: input.prices } : {}) });
      const items: ProductItem[] = [];
      for (const sku of found) {
        const offer = check.offers.get(sku);
        const product = tenant.catalog.get(sku);
        if (offer?.in_stock && product !== undefined && items.length < limit) items.push(toProductItem(product, offer));
      }
      return { query: input.query, items, found, failed: check.failed };
    },

    checkProducts,
    getProduct: (sku) => tenant.catalog.get(sku),
    productsInCategory(category) {
      return [...tenant.catalog.values()].filter((product) => product.is_active && product.category_path === category);
    },

    async addToSelection(input) {
      const quantity = input.quantity ?? 1;
      const product = tenant.catalog.get(input.sku);
      const offer = await priceFor(input.storeId, input.sku, input.prices);
      if (offer === "failed") return { ok: false, reason: "webhook_error", sku: input.sku };
      if (offer === "missing") return { ok: false, reason: "product_not_found", sku: input.sku };
      const name = product?.name ?? input.sku;
      const request: CartRequest = {
        action: "add",
        store_id: input.storeId,
        session_id: input.sessionId,
        sku: input.sku,
        quantity,
        ...(product !== undefined ? { name: product.name } : {}),
        // The price the shopper was shown: the promo price when there is one.
        price: offer.promo_price ?? offer.price,
      };
      return changeCart(input, request, () => {
        const selection = selectionOf(input);
        const item: CartItem = {
          sku: input.sku,
          name,
          price: offer.price,
          promo_price: offer.promo_price ?? null,
          brand: product?.brand ?? null,
          quantity: roundQuantity((selection.get(input.sku)?.quantity ?? 0) + quantity),
        };
        selection.set(input.sku, item);
        // `cart_changed.quantity` is the product's new quantity, not the amount just added.
        return { action: "item_selected", sku: input.sku, name, quantity: item.quantity, price: offer.price };
      });
    },

    async removeFromSelection(input) {
      const existing = selectionOf(input).get(input.sku);
      const name = existing?.name ?? tenant.catalog.get(input.sku)?.name ?? input.sku;
      const request: CartRequest = { action: "remove", store_id: input.storeId, session_id: input.sessionId, sku: input.sku };
      return changeCart(input, request, () => {
        selectionOf(input).delete(input.sku);
        return { action: "item_removed", sku: input.sku, name, quantity: 0, ...(existing ? { price: existing.price } : {}) };
      });
    },

    async updateSelectionQuantity(input) {
      const existing = selectionOf(input).get(input.sku);
      const product = tenant.catalog.get(input.sku);
      const name = existing?.name ?? product?.name ?? input.sku;
      const request: CartRequest = {
        action: "update_quantity",
        store_id: input.storeId,
        session_id: input.sessionId,
        sku: input.sku,
        quantity: input.quantity,
      };
      const seen = input.prices?.get(input.sku);
      const price = existing?.price ?? seen?.price ?? 0;
      return changeCart(input, request, () => {
        selectionOf(input).set(input.sku, {
          sku: input.sku,
          name,
          price,
          promo_price: existing?.promo_price ?? seen?.promo_price ?? null,
          brand: existing?.brand ?? product?.brand ?? null,
          quantity: input.quantity,
        });
        return { action: "quantity_updated", sku: input.sku, name, quantity: input.quantity, price };
      });
    },

    async clearSelection(input) {
      const request: CartRequest = { action: "clear", store_id: input.storeId, session_id: input.sessionId };
      return changeCart(input, request, () => {
        selectionOf(input).clear();
        return { action: "cart_cleared" };
      });
    },

    getSelection: (input) => summarize(selectionOf(input)),

    async loadSelection(input) {
      const url = tenant.webhooks.cart_get_url;
      if (url === undefined) return { ok: true, summary: summarize(selectionOf(input)) };
      const result = await deps.sender.get(target("cart_get", url), { store_id: input.storeId, session_id: input.sessionId }, CartGetResponse);
      const items: CartItem[] = result.ok
        ? result.data.items.map((item) => ({
            sku: item.sku,
            name: item.name,
            price: item.price,
            promo_price: item.promo_price ?? null,
            brand: item.brand ?? tenant.catalog.get(item.sku)?.brand ?? null,
            quantity: item.quantity,
          }))
        : [];
      const selection = deps.selections.replace(tenant.id, input.storeId, input.sessionId, items);
      return { ok: result.ok, summary: summarize(selection) };
    },
  };
}

function skuOf(request: CartRequest): { sku?: string } {
  return "sku" in request ? { sku: request.sku } : {};
}

/** The card a shopper sees: catalog facts with the store's live price and promo. */
export function toProductItem(product: Product, offer: ProductOffer): ProductItem {
  return {
    sku: product.sku,
    name: product.name,
    price: offer.price,
    unit: product.unit,
    quantity_step: product.quantity_step ?? 1,
    brand: product.brand ?? null,
    image_url: product.image_url ?? null,
    promo_price: offer.promo_price ?? null,
    ...(offer.promo_label !== undefined ? { promo_label: offer.promo_label } : {}),
  };
}
