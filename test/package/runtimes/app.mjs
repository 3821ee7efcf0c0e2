// One merchant on the kit's fetch handler, the same file on every runtime. Loaded from the
// installed package by its name; `/runtime` says where it runs and which HMAC it uses.
import { createWebWebhookHandler } from "vizochok-merchant-kit/web";

export const SECRET = "whsec_runtimes";
const carts = new Map();
const cartOf = (store, session) => {
  const key = `${store}/${session}`;
  if (!carts.has(key)) carts.set(key, new Map());
  return carts.get(key);
};
const handlers = {
  products: ({ skus }) => ({ products: skus.filter((sku) => sku.startsWith("milk-")).map((sku) => ({ sku, price: 42.5, in_stock: true })) }),
  add: ({ store_id, session_id, sku, quantity = 1 }) => {
    const cart = cartOf(store_id, session_id);
    cart.set(sku, (cart.get(sku) ?? 0) + quantity);
    return { ok: true };
  },
  updateQuantity: ({ store_id, session_id, sku, quantity }) => {
    const cart = cartOf(store_id, session_id);
    if (!cart.has(sku)) return { ok: false, reason: "not_in_cart" };
    cart.set(sku, quantity);
    return { ok: true };
  },
  remove: ({ store_id, session_id, sku }) => (cartOf(store_id, session_id).delete(sku) ? { ok: true } : { ok: false, reason: "not_in_cart" }),
  clear: ({ store_id, session_id }) => {
    cartOf(store_id, session_id).clear();
    return { ok: true };
  },
  cartGet: ({ store_id, session_id }) => ({ items: [...cartOf(store_id, session_id)].map(([sku, quantity]) => ({ sku, name: sku, price: 42.5, quantity })) }),
};
const handle = createWebWebhookHandler({ secret: SECRET, handlers, logger: { info() {}, warn() {}, error() {} } });

function runtime() {
  if (typeof globalThis.Deno !== "undefined") return "deno";
  if (typeof globalThis.Bun !== "undefined") return "bun";
  if (globalThis.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  return "node";
}

export function route(request) {
  if (new URL(request.url).pathname === "/runtime") {
    const nodeCrypto = typeof globalThis.process?.getBuiltinModule === "function";
    return Response.json({ runtime: runtime(), hmac: nodeCrypto ? "node:crypto" : "web crypto" });
  }
  return handle(request);
}
