// A tiny in-memory merchant used by the kit's own tests: real handlers, counted calls.
import {
  signWebhook,
  type CartGetResponse,
  type CompleteWebhookHandlers,
  type WebhookContext,
  type WebhookLogger,
} from "vizochok-merchant-kit";
import type { DispatchRequest } from "../../src/core/dispatch.js";
import type { Delivery } from "../../src/core/replay.js";

export const SECRET = "whsec_test_secret";
export const NOW = 1_767_225_600_000;

/** A verified cart delivery as the replay stage receives it, received at NOW. */
export const replayDelivery = (fields: Partial<Delivery> = {}): Delivery => ({
  kind: "cart",
  path: "/cart",
  requestId: "r-1",
  receivedAt: NOW,
  deadline: NOW + 4500,
  secretIndex: 0,
  timestamp: NOW / 1000,
  signature: "ab".repeat(32),
  ...fields,
});

/** A verified products request as the dispatch stage receives it (body `productsBody(skus)`). */
export const dispatchRequest = (fields: Partial<DispatchRequest> = {}, skus?: string[]): DispatchRequest => ({
  kind: "products",
  rawBody: new TextEncoder().encode(productsBody(skus)),
  query: new URLSearchParams(),
  requestId: "r-1",
  deadline: NOW + 4500,
  secretIndex: 0,
  claim: undefined,
  ...fields,
});

export interface RecordingMerchant {
  handlers: CompleteWebhookHandlers;
  calls: { method: string; request: unknown; context: WebhookContext }[];
  carts: Map<string, Map<string, number>>;
}

export function createRecordingMerchant(): RecordingMerchant {
  const calls: RecordingMerchant["calls"] = [];
  const carts = new Map<string, Map<string, number>>();
  const cartOf = (store: string, session: string) => {
    const key = `${store}\u0000${session}`;
    let cart = carts.get(key);
    if (cart === undefined) carts.set(key, (cart = new Map()));
    return cart;
  };
  const record = (method: string, request: unknown, context: WebhookContext) => calls.push({ method, request, context });
  const handlers: CompleteWebhookHandlers = {
    products(request, context) {
      record("products", request, context);
      return {
        products: request.skus
          .filter((sku) => sku !== "unknown")
          .map((sku) => ({ sku, price: 42.5, in_stock: sku !== "sold-out" })),
      };
    },
    add(request, context) {
      record("add", request, context);
      if (request.sku === "unknown") return { ok: false, reason: "product_not_found" };
      const cart = cartOf(request.store_id, request.session_id);
      cart.set(request.sku, (cart.get(request.sku) ?? 0) + (request.quantity ?? 1));
      return { ok: true };
    },
    remove(request, context) {
      record("remove", request, context);
      return cartOf(request.store_id, request.session_id).delete(request.sku) ? { ok: true } : { ok: false, reason: "not_in_cart" };
    },
    async updateQuantity(request, context) {
      record("updateQuantity", request, context);
      const cart = cartOf(request.store_id, request.session_id);
      if (!cart.has(request.sku)) return { ok: false, reason: "not_in_cart" };
      cart.set(request.sku, request.quantity);
      return { ok: true };
    },
    clear(request, context) {
      record("clear", request, context);
      cartOf(request.store_id, request.session_id).clear();
      return { ok: true };
    },
    cartGet(query, context): CartGetResponse {
      record("cartGet", query, context);
      const items = [...cartOf(query.store_id, query.session_id)].map(([sku, quantity]) => ({ sku, name: sku, price: 42.5, quantity }));
      return { items };
    },
  };
  return { handlers, calls, carts };
}

/** Headers for a signed JSON POST, as VIZOCHOK sends it. */
export function signedPost(body: string, options: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  return {
    "content-type": "application/json",
    ...signWebhook({ secret: options.secret ?? SECRET, body, timestamp: options.timestamp ?? NOW / 1000 }),
  };
}

export function signedGet(options: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  return { ...signWebhook({ secret: options.secret ?? SECRET, timestamp: options.timestamp ?? NOW / 1000 }) };
}

export interface CapturedLog {
  level: "info" | "warn" | "error";
  fields: Record<string, unknown>;
  message: string | undefined;
}

/** A logger that keeps every line, so tests can assert on what was (and wasn't) logged. */
export function createCapturingLogger(): WebhookLogger & { lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const at = (level: CapturedLog["level"]) => (fields: Record<string, unknown>, message?: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

export const productsBody = (skus: string[] = ["milk-001", "bread-002"]) => JSON.stringify({ skus, store_id: "store-1" });
export const cartBody = (fields: Record<string, unknown>) =>
  JSON.stringify({ store_id: "store-1", session_id: "session-1", ...fields });

export const silent: WebhookLogger = { info() {}, warn() {}, error() {} };
