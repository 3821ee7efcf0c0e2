// Deliberately broken merchants: each takes the correct in-memory merchant and breaks one thing,
// in its handlers, in its own bookkeeping (memory-merchant flaws), in the kit's options, or below
// the kit in a raw node:http layer that sees (and may answer or rewrite) the bytes on the wire.
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import {
  createWebWebhookHandler,
  signWebhook,
  silentLogger,
  type CompleteWebhookHandlers,
  type ReplayGuard,
  type StoredAnswer,
  type WebhookKitOptions,
} from "vizochok-merchant-kit";
import { CATALOG, createMemoryMerchant, MEMORY_SECRET, type MemoryFlaws, type MemoryMerchant } from "./memory-merchant.js";

export const BASE_PATH = "/api/vizochok";
const PATHS = { products: `${BASE_PATH}/check-products`, cart: `${BASE_PATH}/cart`, cartGet: `${BASE_PATH}/cart/items` };

export interface RawRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  /** Header lines as Node joins them (repeated lines become "a, b"). */
  headers: Record<string, string>;
  /** Every header line, lower-cased name first: `[name, value, name, value…]`. */
  rawHeaders: string[];
  body: Buffer;
}

interface RawAnswer {
  status: number;
  body: string;
}

/**
 * How a hand-written verifier in front of the kit gets the signature wrong. With none set it is
 * as strict as the kit; an accepted request is re-signed correctly for the kit behind it.
 */
export interface SignatureLooseness {
  /** Nothing is verified at all: any headers, or none, are taken as they come. */
  nothingVerified?: boolean;
  unsignedAccepted?: boolean;
  /** The verifier is mounted on the other routes only: this one takes unsigned requests. */
  unsignedAcceptedOn?: "products" | "cartGet";
  hmacIgnored?: boolean;
  noPastLimit?: boolean;
  noFutureLimit?: boolean;
  emptySignatureAccepted?: boolean;
  prefixAccepted?: boolean;
  appendedAccepted?: boolean;
  anyTimestampInWindow?: boolean;
  bodyOnlyAccepted?: boolean;
  timestampSpacesStripped?: boolean;
  timestampParsedLeniently?: boolean;
  firstHeaderLineTaken?: boolean;
  signatureListAccepted?: boolean;
  crashOnNonHex?: boolean;
}

interface Breakage {
  flaws?: MemoryFlaws;
  handlers?(handlers: CompleteWebhookHandlers, merchant: MemoryMerchant): CompleteWebhookHandlers;
  options?: Partial<WebhookKitOptions>;
  signature?: SignatureLooseness;
  /** Runs on the raw request before the kit sees it: may answer itself, or wait. */
  raw?(request: RawRequest, merchant: MemoryMerchant): RawAnswer | undefined | Promise<RawAnswer | undefined>;
  /** Rewrites the kit's JSON answer to a request, as JSON or as the text sent. */
  rewrite?(request: RawRequest, answer: { status: number; json: unknown }): { status: number; json: unknown } | { status: number; text: string };
}

const json = (request: RawRequest): Record<string, unknown> | undefined => {
  try {
    const parsed: unknown = JSON.parse(request.body.toString("utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};
const isPath = (request: RawRequest, path: string) => request.url.split("?")[0] === path;
const isAdd = (request: RawRequest) => request.method === "POST" && isPath(request, PATHS.cart) && json(request)?.action === "add";
type Offer = { sku: string; price: number; in_stock: boolean; promo_price?: number };
const offersOf = (answer: { json: unknown }) => ((answer.json as { products?: Offer[] } | undefined)?.products ?? []);
const skusOf = (request: RawRequest) => (json(request)?.skus as string[] | undefined) ?? [];

/** Each offer of a products answer to a request for more than one SKU passed through `change`. */
const inBatches = (change: (offer: Offer) => Offer): NonNullable<Breakage["rewrite"]> => (request, answer) =>
  isPath(request, PATHS.products) && skusOf(request).length > 1 ? { ...answer, json: { products: offersOf(answer).map(change) } } : answer;

/** The first add to a session's cart takes 1 s in the handler; `keep` says whether its line stays. */
const slowFirstAdd = (keep: boolean): HandlersStep => (h, merchant) => ({
  ...h,
  async add(request, context) {
    const key = merchant.cartKey(request.store_id, request.session_id);
    if (merchant.carts.has(key)) return h.add(request, context);
    await delay(1_000);
    const answer = await h.add(request, context);
    if (!keep) merchant.carts.get(key)?.delete(request.sku);
    return answer;
  },
});

/** Every n-th request that `matches` waits `ms` first. */
type RawStep = NonNullable<Breakage["raw"]>;
type HandlersStep = NonNullable<Breakage["handlers"]>;

function everyNth(n: number, ms: number, matches: (request: RawRequest) => boolean): RawStep {
  let count = 0;
  return async (request) => {
    if (matches(request) && ++count % n === 0) await delay(ms);
    return undefined;
  };
}

/** A cart POST whose signature headers were seen before (a byte-identical copy) is answered `status`. */
function refuseCopies(status: number, error: string): RawStep {
  const seen = new Set<string>();
  return (request) => {
    if (request.method !== "POST" || !isPath(request, PATHS.cart)) return undefined;
    const key = `${request.headers["x-vizochok-timestamp"]} ${request.headers["x-vizochok-signature"]}`;
    if (!seen.has(key)) {
      seen.add(key);
      return undefined;
    }
    return { status, body: JSON.stringify({ error }) };
  };
}

/** A cart POST with a field the merchant's schema does not know is answered `answer`. */
function unknownFieldsAnswered(answer: RawAnswer): RawStep {
  const known = ["action", "store_id", "session_id", "sku", "quantity", "name", "price"];
  return (request) => {
    const body = json(request);
    return isPath(request, PATHS.cart) && body !== undefined && Object.keys(body).some((key) => !known.includes(key)) ? answer : undefined;
  };
}

/** The other store's cart GET answered `status` before the kit sees it. */
const otherStoreCartGet = (status: number, error: string): RawStep => (request) =>
  request.method === "GET" && isPath(request, PATHS.cartGet) && new URLSearchParams(request.url.split("?")[1] ?? "").get("store_id") === "store-2"
    ? { status, body: JSON.stringify({ error }) }
    : undefined;

/** Wraps a cart GET with a cache that the named actions do not invalidate. */
function cachedCartGet(staleAfter: "remove" | "clear"): HandlersStep {
  return (h, merchant) => {
    const cache = new Map<string, Awaited<ReturnType<CompleteWebhookHandlers["cartGet"]>>>();
    const forget = (request: { store_id: string; session_id: string }) => cache.delete(merchant.cartKey(request.store_id, request.session_id));
    const invalidating = <T extends { store_id: string; session_id: string }, R>(action: string, handler: (request: T, context: never) => R) =>
      ((request: T, context: never) => {
        if (action !== staleAfter) forget(request);
        return handler(request, context);
      }) as never;
    return {
      ...h,
      add: invalidating("add", h.add),
      updateQuantity: invalidating("update_quantity", h.updateQuantity),
      remove: invalidating("remove", h.remove),
      clear: invalidating("clear", h.clear),
      async cartGet(query, context) {
        const key = merchant.cartKey(query.store_id, query.session_id);
        if (!cache.has(key)) cache.set(key, await h.cartGet(query, context));
        return cache.get(key)!;
      },
    };
  };
}

/** The defects, each named for what a merchant shipped. */
export const BREAKAGES = {
  none: {},

  // signature: a verifier in front of the kit that is loose in one way
  "no-signature-check": { signature: { nothingVerified: true } },
  "unsigned-requests-accepted": { signature: { unsignedAccepted: true } },
  "unsigned-products-calls-accepted": { signature: { unsignedAcceptedOn: "products" } },
  "unsigned-cart-get-accepted": { signature: { unsignedAcceptedOn: "cartGet" } },
  "hmac-never-compared": { signature: { hmacIgnored: true } },
  "stale-timestamps-accepted": { signature: { noPastLimit: true } },
  "future-timestamps-accepted": { signature: { noFutureLimit: true } },
  "500-on-non-hex-signature": { signature: { crashOnNonHex: true } },
  "empty-signature-accepted": { signature: { emptySignatureAccepted: true } },
  "signature-prefix-accepted": { signature: { prefixAccepted: true } },
  "signature-with-suffix-accepted": { signature: { appendedAccepted: true } },
  "signature-for-any-timestamp-accepted": { signature: { anyTimestampInWindow: true } },
  "body-only-signature-accepted": { signature: { bodyOnlyAccepted: true } },
  "spaces-stripped-from-timestamp": { signature: { timestampSpacesStripped: true } },
  "timestamp-parsed-leniently": { signature: { timestampParsedLeniently: true } },
  "first-of-repeated-headers-taken": { signature: { firstHeaderLineTaken: true } },
  "signature-list-accepted": { signature: { signatureListAccepted: true } },
  "add-applied-before-verifying": {
    // The add is written, then the signature is checked and the request refused.
    async raw(request, merchant) {
      const body = json(request);
      const refusal = verifyLoosely({ ...request, headers: { ...request.headers } }, {});
      if (refusal !== undefined && isAdd(request) && typeof body?.sku === "string" && typeof body.store_id === "string" && typeof body.session_id === "string") {
        await merchant.handlers.add({ action: "add", sku: body.sku, store_id: body.store_id, session_id: body.session_id, quantity: 1 }, {} as never);
      }
      return refusal;
    },
  },

  // products
  "single-sku-answered-out-of-stock": {
    rewrite: (request, answer) => (json(request)?.skus as unknown[] | undefined)?.length === 1 && isPath(request, PATHS.products)
      ? { ...answer, json: { products: offersOf(answer).map((offer) => ({ ...offer, in_stock: false })) } }
      : answer,
  },
  "unrequested-skus-returned": {
    handlers: (h) => ({
      ...h,
      async products(request, context) {
        const answer = await h.products(request, context);
        return { products: [...answer.products, { sku: "bread-001", price: 24.9, in_stock: true }] };
      },
    }),
  },
  "sku-answered-twice": {
    rewrite: (request, answer) => (isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).flatMap((o) => [o, o]) } } : answer),
  },
  "unknown-sku-offered": {
    rewrite(request, answer) {
      if (!isPath(request, PATHS.products)) return answer;
      const unknown = ((json(request)?.skus as string[] | undefined) ?? []).filter((sku) => CATALOG[sku] === undefined);
      return { ...answer, json: { products: [...offersOf(answer), ...unknown.map((sku) => ({ sku, price: 0, in_stock: true }))] } };
    },
  },
  "out-of-stock-offered": {
    rewrite: (request, answer) => (isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).map((o) => ({ ...o, in_stock: true })) } } : answer),
  },
  "negative-price-for-no-stock": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).map((o) => (o.in_stock ? o : { ...o, price: -1 })) } } : answer,
  },
  "promo-price-equal-to-price": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).map((o) => ({ ...o, promo_price: o.promo_price ?? o.price })) } } : answer,
  },
  "batch-over-8-refused": {
    raw: (request) => (isPath(request, PATHS.products) && ((json(request)?.skus as unknown[] | undefined)?.length ?? 0) > 8 ? { status: 400, body: '{"error":"at most 8 skus"}' } : undefined),
  },
  "offers-matched-by-position": {
    rewrite(request, answer) {
      if (!isPath(request, PATHS.products)) return answer;
      const asked = [...new Set((json(request)?.skus as string[] | undefined) ?? [])].filter((sku) => CATALOG[sku] !== undefined);
      const sorted = [...new Map(offersOf(answer).map((o) => [o.sku, o])).values()].sort((a, b) => a.sku.localeCompare(b.sku));
      return { ...answer, json: { products: asked.map((sku, index) => ({ ...sorted[index]!, sku })) } };
    },
  },
  "500-on-repeated-skus": {
    raw(request) {
      const skus = (json(request)?.skus as unknown[] | undefined) ?? [];
      return isPath(request, PATHS.products) && new Set(skus).size < skus.length ? { status: 500, body: '{"error":"UNIQUE constraint failed"}' } : undefined;
    },
  },
  "every-10th-products-call-slow": { raw: everyNth(10, 1_100, (request) => isPath(request, PATHS.products)) },
  // One unknown SKU makes the lookup fail, and the merchant answers "nothing found".
  "unknown-sku-empties-the-answer": {
    rewrite(request, answer) {
      if (!isPath(request, PATHS.products)) return answer;
      const skus = (json(request)?.skus as string[] | undefined) ?? [];
      return skus.some((sku) => CATALOG[sku] === undefined) ? { ...answer, json: { products: [] } } : answer;
    },
  },
  // Prices serialized from a decimal column: "42.5" instead of 42.5.
  "prices-sent-as-strings": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).map((o) => ({ ...o, price: String(o.price) })) } } : answer,
  },
  // A promotion entered as a discount and stored as a price below zero.
  "negative-promo-price": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).map((o) => (o.promo_price === undefined ? o : { ...o, promo_price: -1 })) } } : answer,
  },
  // A lookup that counts each SKU and keeps those asked once: a SKU asked twice is left out.
  "repeated-skus-left-out": {
    rewrite(request, answer) {
      if (!isPath(request, PATHS.products)) return answer;
      const skus = skusOf(request);
      return { ...answer, json: { products: offersOf(answer).filter((o) => skus.indexOf(o.sku) === skus.lastIndexOf(o.sku)) } };
    },
  },
  // Batches read an older price list than single lookups.
  "batch-prices-from-another-list": { rewrite: inBatches((o) => ({ ...o, price: o.price + 1 })) },
  // Batches read stock from a cache that counts 3 or fewer as none.
  "low-stock-out-of-stock-in-batches": { rewrite: inBatches((o) => (CATALOG[o.sku]!.stock <= 3 ? { ...o, in_stock: false } : o)) },
  // Batches skip the promotions table.
  "batch-leaves-promotions-out": { rewrite: inBatches(({ promo_price: _promo, ...o }) => o) },
  // No price is sent for a product that is sold out.
  "price-null-when-out-of-stock": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).map((o) => (o.in_stock ? o : { ...o, price: null })) } } : answer,
  },
  // The answer built by hand, with a comma after the last offer.
  "products-json-with-trailing-comma": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) && answer.status === 200 ? { status: 200, text: `${JSON.stringify(answer.json).slice(0, -2)},]}` } : answer,
  },
  // The products database is down; an empty request is answered before it is asked.
  "products-database-down-503": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) && answer.status === 200 && skusOf(request).length > 0 ? { status: 503, json: { error: "database unavailable" } } : answer,
  },
  // The offers keyed by SKU instead of listed.
  "products-as-an-object": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) ? { ...answer, json: { products: Object.fromEntries(offersOf(answer).map((o) => [o.sku, o])) } } : answer,
  },

  // cart
  "add-answered-201": {
    rewrite: (request, answer) => (isAdd(request) && answer.status === 200 ? { ...answer, status: 201 } : answer),
  },
  "unknown-sku-accepted": {
    handlers: (h) => ({
      ...h,
      async add(request, context) {
        const answer = await h.add(request, context);
        return !answer.ok && answer.reason === "product_not_found" ? { ok: true } : answer;
      },
    }),
  },
  "missing-sku-answered-missing-params": {
    raw: (request) => (isAdd(request) && json(request)?.sku === undefined ? { status: 200, body: '{"ok":false,"reason":"missing_params"}' } : undefined),
  },
  "update-of-absent-item-adds-it": {
    handlers: (h) => ({
      ...h,
      async updateQuantity(request, context) {
        const answer = await h.updateQuantity(request, context);
        return !answer.ok && answer.reason === "not_in_cart" ? h.add({ ...request, action: "add" }, context) : answer;
      },
    }),
  },
  "remove-from-unknown-session-answered-ok": {
    handlers: (h, merchant) => ({
      ...h,
      remove: (request, context) => (merchant.carts.has(merchant.cartKey(request.store_id, request.session_id)) ? h.remove(request, context) : { ok: true }),
    }),
  },
  "remove-zeroes-the-line": { flaws: { removeZeroesLine: true } },
  "clear-of-empty-cart-refused": {
    handlers: (h, merchant) => ({
      ...h,
      clear: (request, context) =>
        (merchant.carts.get(merchant.cartKey(request.store_id, request.session_id))?.size ?? 0) === 0 ? { ok: false, reason: "not_in_cart" } : h.clear(request, context),
    }),
  },
  // The clear empties the cart, then writes an audit row per line, which fails; that failure is
  // answered as a refusal of the clear. An empty cart has no lines, so its clear is answered ok.
  "clear-of-full-cart-answered-refused": {
    handlers: (h, merchant) => ({
      ...h,
      async clear(request, context) {
        const lines = merchant.carts.get(merchant.cartKey(request.store_id, request.session_id))?.size ?? 0;
        const answer = await h.clear(request, context);
        return lines > 0 ? { ok: false, reason: "audit_failed" } : answer;
      },
    }),
  },
  // The remove looks the line up by the product's internal id instead of its SKU, and finds none.
  "remove-finds-no-line": {
    handlers: (h) => ({ ...h, remove: () => ({ ok: false, reason: "not_in_cart" }) }),
  },
  "exact-stock-refused": { flaws: { exactStockRefused: true } },
  "quantity-exceeded-answered-out-of-stock": {
    handlers: (h) => ({
      ...h,
      async add(request, context) {
        const answer = await h.add(request, context);
        return !answer.ok && answer.reason === "quantity_exceeded" ? { ok: false, reason: "out_of_stock" } : answer;
      },
    }),
  },
  "out-of-stock-answered-quantity-exceeded": {
    handlers: (h) => ({
      ...h,
      async add(request, context) {
        const answer = await h.add(request, context);
        return !answer.ok && answer.reason === "out_of_stock" ? { ok: false, reason: "quantity_exceeded" } : answer;
      },
    }),
  },
  "500-on-malformed-json": {
    raw(request) {
      if (request.method !== "POST") return undefined;
      try {
        JSON.parse(request.body.toString("utf8"));
        return undefined;
      } catch {
        return { status: 500, body: '{"error":"SyntaxError: Unexpected token"}' };
      }
    },
  },
  // An error handler that turns every validation failure into a 500.
  "validation-errors-answered-500": {
    rewrite(request, answer) {
      const reason = (answer.json as { reason?: unknown } | undefined)?.reason;
      return request.method === "POST" && isPath(request, PATHS.cart) && (reason === "missing_params" || reason === "missing_sku")
        ? { status: 500, json: { error: "ValidationError" } }
        : answer;
    },
  },
  // A strict schema whose failures are answered like any missing parameter.
  "unknown-fields-answered-missing-params": { raw: unknownFieldsAnswered({ status: 200, body: '{"ok":false,"reason":"missing_params"}' }) },
  "unknown-fields-refused": { raw: unknownFieldsAnswered({ status: 400, body: '{"error":"unknown field"}' }) },
  // Sold out answered with the merchant's own word instead of "out_of_stock".
  "out-of-stock-answered-sold-out": {
    rewrite: (request, answer) =>
      isAdd(request) && (answer.json as { reason?: unknown } | undefined)?.reason === "out_of_stock" ? { ...answer, json: { ok: false, reason: "sold_out" } } : answer,
  },
  "stock-checked-per-cart": { flaws: { stockPerCart: true } },
  "stock-checked-then-reserved-unlocked": { flaws: { stockCheckRace: true } },
  "clear-keeps-stock-reserved": { flaws: { clearKeepsReservation: true } },
  "big-carts-slow": {
    handlers: (h, merchant) => ({
      ...h,
      async add(request, context) {
        if ((merchant.carts.get(merchant.cartKey(request.store_id, request.session_id))?.get(request.sku) ?? 0) >= 18) await delay(1_100);
        return h.add(request, context);
      },
    }),
  },

  // cart GET
  "unknown-session-answered-404": {
    raw: (request, merchant) => {
      if (request.method !== "GET" || !isPath(request, PATHS.cartGet)) return undefined;
      const query = new URLSearchParams(request.url.split("?")[1] ?? "");
      return merchant.carts.has(merchant.cartKey(query.get("store_id") ?? "", query.get("session_id") ?? "")) ? undefined : { status: 404, body: '{"error":"no such cart"}' };
    },
  },
  "add-ignores-quantity": { handlers: (h) => ({ ...h, add: (request, context) => h.add({ ...request, quantity: 1 }, context) }) },
  "cart-get-ignores-adds": { handlers: (h) => ({ ...h, cartGet: () => ({ items: [] }) }) },
  "update-adds-instead-of-setting": {
    handlers: (h) => ({
      ...h,
      async updateQuantity(request, context) {
        const answer = await h.updateQuantity({ ...request, quantity: 1 }, context);
        return answer.ok ? h.add({ ...request, action: "add" }, context) : answer;
      },
    }),
  },
  "cart-get-cache-kept-after-remove": { handlers: cachedCartGet("remove") },
  "cart-get-cache-kept-after-clear": { handlers: cachedCartGet("clear") },
  "cart-get-shows-whole-store": {
    handlers: (h, merchant) => ({
      ...h,
      cartGet(query) {
        const items = new Map<string, number>();
        for (const [key, cart] of merchant.carts) {
          if (!key.startsWith(`${query.store_id}/`)) continue;
          for (const [sku, quantity] of cart) items.set(sku, (items.get(sku) ?? 0) + quantity);
        }
        return { items: [...items].map(([sku, quantity]) => ({ sku, name: sku, price: CATALOG[sku]!.price, quantity })) };
      },
    }),
  },
  "carts-shared-across-stores": { flaws: { cartsIgnoreStore: true } },
  "every-10th-cart-get-slow": { raw: everyNth(10, 1_100, (request) => request.method === "GET" && isPath(request, PATHS.cartGet)) },
  "500-on-other-store-cart-get": { raw: otherStoreCartGet(500, "store not found") },
  // An empty cart filled with a suggestion, answered as if the shopper had added it.
  "empty-cart-shows-a-suggestion": {
    handlers: (h) => ({
      ...h,
      async cartGet(query, context) {
        const answer = await h.cartGet(query, context);
        return answer.items.length > 0 ? answer : { items: [{ sku: "bread-001", name: "bread-001", price: CATALOG["bread-001"]!.price, quantity: 1 }] };
      },
    }),
  },
  // A suggested item appended to every cart, answered as if the shopper had added it.
  "cart-get-appends-a-suggestion": {
    handlers: (h) => ({
      ...h,
      async cartGet(query, context) {
        const answer = await h.cartGet(query, context);
        return { items: [...answer.items, { sku: "bread-001", name: "bread-001", price: CATALOG["bread-001"]!.price, quantity: 1 }] };
      },
    }),
  },
  // The cart GET reports each line under the SKU as the merchant's own system spells it.
  "cart-get-skus-uppercased": {
    handlers: (h) => ({
      ...h,
      async cartGet(query, context) {
        const answer = await h.cartGet(query, context);
        return { items: answer.items.map((item) => ({ ...item, sku: item.sku.toUpperCase() })) };
      },
    }),
  },

  // reliability
  "replays-double-applied": { options: { replayGuard: false } },
  // The kit's old rule: every byte-identical copy is a re-delivery, answered from memory unapplied.
  "identical-add-answered-unapplied": { options: { replayGuard: answerEveryCopyFromMemory() } },
  "lost-updates": { flaws: { lostUpdates: true } },
  // A lock that times out: an add arriving while another add on the same cart runs fails.
  "500-on-concurrent-adds": {
    handlers: (h, merchant) => {
      const busy = new Set<string>();
      return {
        ...h,
        async add(request, context) {
          const key = merchant.cartKey(request.store_id, request.session_id);
          if (busy.has(key)) throw new Error("SQLITE_BUSY: database is locked");
          busy.add(key);
          try {
            await delay(20);
            return await h.add(request, context);
          } finally {
            busy.delete(key);
          }
        },
      };
    },
  },
  // A per-line cap the merchant forgot it had: the 11th of a SKU is refused.
  "adds-capped-at-10-per-line": {
    handlers: (h, merchant) => ({
      ...h,
      add: (request, context) =>
        (merchant.carts.get(merchant.cartKey(request.store_id, request.session_id))?.get(request.sku) ?? 0) + (request.quantity ?? 1) > 10
          ? { ok: false, reason: "quantity_exceeded" }
          : h.add(request, context),
    }),
  },
  // The first add to a cart times out its write after 1 s: answered as if written, then rolled back.
  "slow-first-add-rolled-back": { handlers: slowFirstAdd(false) },
  // A unique index on the delivery's signature, and the copy's insert crashes.
  "500-on-identical-copy": { raw: refuseCopies(500, "UNIQUE constraint failed: deliveries.signature") },
} satisfies Record<string, Breakage>;

export type Defect = keyof typeof BREAKAGES;

/**
 * Backends that differ from the unbroken one only where the contract leaves a choice. Each must
 * pass every case: they keep the cases from asking more than the contract does.
 */
export const VARIANTS = {
  // "apply it, or answer 409": every byte-identical copy of a cart call is refused.
  "identical-copy-refused-409": { raw: refuseCopies(409, "duplicate_delivery") },
  // "An unknown store may be refused outright": the other store's cart GET answered 400.
  "other-store-cart-get-refused-400": { raw: otherStoreCartGet(400, "unknown store") },
  // "No promotion" sent as "promo_price": null, which the contract reads as left out.
  "promo-price-null-when-none": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).map((o) => ({ ...o, promo_price: o.promo_price ?? null })) } } : answer,
  },
  // A product given away: a price of 0 is a price.
  "a-free-item": {
    rewrite: (request, answer) =>
      isPath(request, PATHS.products) ? { ...answer, json: { products: offersOf(answer).map((o) => (o.sku === "milk-002" ? { ...o, price: 0 } : o)) } } : answer,
  },
  // Creating a cart takes 1 s, so an identical copy of the first add arrives a second after it:
  // the kit rightly answers it from the record, and the cart holds 1 for two ok answers.
  "first-add-of-a-cart-slow": { handlers: slowFirstAdd(true) },
  // VIZOCHOK asks for at most 10 SKUs at once; a backend may refuse more.
  "batch-over-10-refused": {
    raw: (request) => (isPath(request, PATHS.products) && ((json(request)?.skus as unknown[] | undefined)?.length ?? 0) > 10 ? { status: 400, body: '{"error":"at most 10 skus"}' } : undefined),
  },
} satisfies Record<string, Breakage>;

export type Variant = keyof typeof VARIANTS;

/** A raw node:http server in front of the kit's fetch handler, so defects can sit below the kit. */
export function createBrokenMerchantServer(defect: Defect | Variant, extra: Breakage = {}): Server {
  const breakage: Breakage = { ...((defect in VARIANTS ? VARIANTS[defect as Variant] : BREAKAGES[defect as Defect]) as Breakage), ...extra };
  const merchant = createMemoryMerchant(breakage.flaws);
  const handle = createWebWebhookHandler({
    secret: MEMORY_SECRET,
    handlers: breakage.handlers?.(merchant.handlers, merchant) ?? merchant.handlers,
    paths: PATHS,
    logger: silentLogger,
    // A loose verifier in front enforces (or fails to enforce) the window itself.
    ...(breakage.signature === undefined ? {} : { toleranceSeconds: 10 * 365 * 24 * 3600 }),
    ...breakage.options,
  });
  return createServer((request, response) => {
    serve(request, response).catch(() => response.destroy());
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw: RawRequest = {
      method: request.method ?? "GET",
      url: request.url ?? "/",
      headers: flatHeaders(request),
      rawHeaders: request.rawHeaders.map((value, index) => (index % 2 === 0 ? value.toLowerCase() : value)),
      body: await readAll(request),
    };
    let early: RawAnswer | undefined;
    try {
      early = breakage.signature === undefined ? await breakage.raw?.(raw, merchant) : verifyLoosely(raw, breakage.signature);
    } catch (error) {
      early = { status: 500, body: JSON.stringify({ error: String(error) }) };
    }
    if (early !== undefined) {
      response.writeHead(early.status, { "content-type": "application/json" }).end(early.body);
      return;
    }
    const answer = await handle(
      new Request(`http://merchant${raw.url}`, {
        method: raw.method,
        headers: raw.headers,
        ...(raw.method === "GET" ? {} : { body: new Uint8Array(raw.body) }),
      }),
    );
    let status = answer.status;
    let body = Buffer.from(await answer.arrayBuffer());
    if (breakage.rewrite !== undefined && answer.headers.get("content-type")?.includes("json")) {
      const rewritten = breakage.rewrite(raw, { status, json: JSON.parse(body.toString("utf8")) });
      status = rewritten.status;
      body = Buffer.from("text" in rewritten ? rewritten.text : JSON.stringify(rewritten.json));
    }
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => (headers[name] = value));
    headers["content-length"] = String(body.length);
    response.writeHead(status, headers).end(body);
  }
}

const hmac = (payload: string | Buffer) => createHmac("sha256", MEMORY_SECRET).update(payload).digest("hex");

/**
 * A hand-written verifier with the given looseness. When it accepts, the request is re-signed
 * correctly (keeping the timestamp it read) so the kit behind it goes on; else it answers 401,
 * or 500 where it would crash.
 */
function verifyLoosely(request: RawRequest, loose: SignatureLooseness): RawAnswer | undefined {
  const refused = { status: 401, body: '{"error":"invalid signature"}' };
  const lines = (name: string) => request.rawHeaders.flatMap((value, index) => (index % 2 === 1 && request.rawHeaders[index - 1] === name ? [value] : []));
  const read = (name: string) => {
    const values = lines(name);
    if (values.length === 0) return undefined;
    return loose.firstHeaderLineTaken ? values[0]! : values.join(", ");
  };
  const signature = read("x-vizochok-signature");
  const stamp = read("x-vizochok-timestamp");
  const now = Math.floor(Date.now() / 1000);
  const body = request.method === "GET" ? Buffer.alloc(0) : request.body;
  let timestamp: number;
  if (loose.nothingVerified) {
    const sent = Number.parseInt(stamp ?? "", 10);
    timestamp = Number.isSafeInteger(sent) && sent >= 0 ? sent : now;
  } else if (signature === undefined || stamp === undefined) {
    const unverifiedRoute = loose.unsignedAcceptedOn !== undefined && isPath(request, PATHS[loose.unsignedAcceptedOn]);
    if (!((loose.unsignedAccepted || unverifiedRoute) && signature === undefined)) return refused;
    timestamp = now;
  } else {
    const digits = loose.timestampSpacesStripped ? stamp.replace(/\s+/g, "") : stamp;
    timestamp = loose.timestampParsedLeniently ? Number.parseInt(digits, 10) : /^[0-9]{1,15}$/.test(digits) ? Number(digits) : Number.NaN;
    if (!Number.isSafeInteger(timestamp)) return refused;
    if (!loose.noPastLimit && now - timestamp > 300) return refused;
    if (!loose.noFutureLimit && timestamp - now > 300) return refused;
    const candidates = loose.signatureListAccepted ? signature.split(",").map((part) => part.trim()) : [signature];
    const signed = (t: number) => hmac(Buffer.concat([Buffer.from(`${t}.`), body]));
    const expected = signed(timestamp);
    const accepted = candidates.some((candidate) => {
      if (!candidate.startsWith("sha256=")) return false;
      const hex = candidate.slice("sha256=".length);
      if (loose.crashOnNonHex && !/^[0-9a-fA-F]*$/.test(hex)) throw new Error("non-hex digit");
      if (hex === expected) return true;
      if (loose.hmacIgnored && /^[0-9a-f]{64}$/.test(hex)) return true;
      if (loose.emptySignatureAccepted && hex === "") return true;
      if (loose.prefixAccepted && hex.length > 0 && expected.startsWith(hex)) return true;
      if (loose.appendedAccepted && hex.startsWith(expected)) return true;
      if (loose.bodyOnlyAccepted && hex === hmac(body)) return true;
      if (loose.anyTimestampInWindow) for (let t = now - 300; t <= now + 300; t++) if (hex === signed(t)) return true;
      return false;
    });
    if (!accepted) return refused;
  }
  const resigned = signWebhook({ secret: MEMORY_SECRET, timestamp, method: request.method, ...(request.method === "GET" ? {} : { body: request.body }) });
  request.headers["x-vizochok-signature"] = resigned["X-VIZOCHOK-Signature"];
  request.headers["x-vizochok-timestamp"] = resigned["X-VIZOCHOK-Timestamp"];
  return undefined;
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers[name] = value;
  }
  return headers;
}

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function answerEveryCopyFromMemory(): ReplayGuard {
  const answers = new Map<string, StoredAnswer | undefined>();
  return {
    begin({ key }) {
      if (!answers.has(key)) {
        answers.set(key, undefined);
        return { state: "new", claim: { key, token: key } };
      }
      const answer = answers.get(key);
      return answer === undefined ? { state: "pending" } : { state: "done", answer };
    },
    complete: (claim, answer) => void answers.set(claim.key, answer),
    release: (claim) => void answers.delete(claim.key),
  };
}
