import type { CompleteWebhookHandlers } from "vizochok-merchant-kit";
import { withinDeadline } from "./deadline.js";
import { andThen } from "./maybe-promise.js";
import type { Store } from "./store.js";

/**
 * The webhooks, answered from the store. This is the file to replace when your prices, stock
 * and carts live elsewhere: keep the shape, call your ERP or inventory service instead, and pass
 * `context.signal` to your own I/O so it stops when VIZOCHOK's budget runs out. The same handlers
 * serve the SQLite store (synchronous answers) and the PostgreSQL store (promises).
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
    cartGet: (query) => andThen(store.cart(query), (cart) => ({ items: cart.items })),
  };
}
