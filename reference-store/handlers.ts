import type { CompleteWebhookHandlers } from "vizochok-merchant-kit";
import { withinDeadline } from "./deadline.js";
import type { Store } from "./store.js";

/**
 * The webhooks, answered from the store. This is the file to replace when your prices, stock
 * and carts live elsewhere: keep the shape, call your ERP or inventory service instead, and pass
 * `context.signal` to your own I/O so it stops when VIZOCHOK's budget runs out.
 *
 * @example
 * createWebhookRouter({ secret, handlers: createStoreHandlers(store) });
 */
export function createStoreHandlers(store: Store): CompleteWebhookHandlers {
  return {
    products: (request) => store.products(request),
    add: (request, context) => withinDeadline(context, (deadline) => store.add(request, deadline)),
    remove: (request, context) => withinDeadline(context, (deadline) => store.remove(request, deadline)),
    updateQuantity: (request, context) => withinDeadline(context, (deadline) => store.updateQuantity(request, deadline)),
    clear: (request, context) => withinDeadline(context, (deadline) => store.clear(request, deadline)),
    cartGet: (query) => ({ items: store.cart(query).items }),
  };
}
