import type { CartGetItem } from "../../schemas.js";
import type { WebhookReply } from "../client.js";
import { needsCartGet, type ContractCase, type ContractContext } from "../contract-case.js";
import { expectCart, expectCartAnswer, fail } from "../expect-reply.js";
import { expectP95WithinBudget, LATENCY_CALLS } from "../latency.js";
import { addInStock, cartCall, cartGetCall, readCart } from "../requests.js";

function describeCart(items: CartGetItem[]): string {
  return items.length === 0 ? "an empty cart" : items.map((item) => `${item.sku} × ${item.quantity}`).join(", ");
}

/** Reads the cart back and compares SKUs and quantities exactly. */
async function expectCartHolds(context: ContractContext, session: string, expected: Record<string, number>, after: string): Promise<void> {
  const { items, reply } = await readCart(context, session);
  expectItems(reply, items, expected, after);
}

function expectItems(reply: WebhookReply, items: CartGetItem[], expected: Record<string, number>, after: string): void {
  const want = Object.entries(expected);
  const matches =
    items.length === want.length &&
    want.every(([sku, quantity]) => items.some((item) => item.sku === sku && Math.abs(item.quantity - quantity) < 1e-9));
  if (!matches) {
    const wanted = want.length === 0 ? "an empty cart" : want.map(([sku, q]) => `${sku} × ${q}`).join(", ");
    fail(reply, `after ${after} the cart GET shows ${describeCart(items)}, expected ${wanted}: read the cart from where the cart webhook writes it`);
  }
}

const base = { group: "cart-get" as const, skipReason: needsCartGet };

export const cartGetCases: ContractCase[] = [
  {
    ...base,
    id: "cart-get.unknown-session",
    title: 'an unknown session answers 200 {"items": []}, never 404',
    async run(context) {
      const { items, reply } = await readCart(context, context.newSession());
      if (items.length > 0) fail(reply, "a session never used has items: answer an empty cart");
    },
  },
  {
    ...base,
    id: "cart-get.reflects-add",
    title: "shows an added item with its quantity",
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      await addInStock(context, session, 2);
      await expectCartHolds(context, session, { [sku]: 2 }, `adding 2 × ${sku}`);
    },
  },
  {
    ...base,
    id: "cart-get.reflects-update",
    title: "shows the quantity set by update_quantity",
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      await addInStock(context, session, 1);
      const update = cartCall(context, session, { action: "update_quantity", sku, quantity: 3 });
      expectCartAnswer(await context.client.send(update), { ok: true }, "the item is in the cart");
      await expectCartHolds(context, session, { [sku]: 3 }, `adding 1 × ${sku} and setting its quantity to 3`);
    },
  },
  {
    ...base,
    id: "cart-get.reflects-remove",
    title: "no longer shows a removed item",
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      await addInStock(context, session, 1);
      await expectCartHolds(context, session, { [sku]: 1 }, `adding 1 × ${sku}`);
      expectCartAnswer(await context.client.send(cartCall(context, session, { action: "remove", sku })), { ok: true }, "the item is in the cart");
      await expectCartHolds(context, session, {}, `removing ${sku}`);
    },
  },
  {
    ...base,
    id: "cart-get.reflects-clear",
    title: "is empty after clear",
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      await addInStock(context, session, 1);
      await expectCartHolds(context, session, { [sku]: 1 }, `adding 1 × ${sku}`);
      expectCartAnswer(await context.client.send(cartCall(context, session, { action: "clear" })), { ok: true }, "clear empties the cart");
      await expectCartHolds(context, session, {}, "clear");
    },
  },
  {
    ...base,
    id: "cart-get.sessions-isolated",
    title: "one session's items never appear in another session's cart",
    async run(context) {
      const mine = context.newSession();
      await addInStock(context, mine, 1);
      await expectCartHolds(context, context.newSession(), {}, `another session added ${context.config.inStockSku}`);
    },
  },
  {
    ...base,
    id: "cart-get.stores-isolated",
    title: "the same session id in another store has its own cart",
    async run(context) {
      const session = context.newSession();
      await addInStock(context, session, 1);
      const reply = await context.client.send(cartGetCall(context, session, context.config.otherStoreId));
      // An unknown store may be refused outright; what must never happen is seeing store-1's items.
      if (reply.status >= 400 && reply.status < 500) return;
      const items = expectCart(reply);
      expectItems(reply, items, {}, `the same session id added ${context.config.inStockSku} in ${context.config.storeId}`);
    },
  },
  {
    ...base,
    id: "cart-get.latency-p95",
    title: `the p95 latency of ${LATENCY_CALLS} cart GETs is well inside VIZOCHOK's 5 s budget`,
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      await addInStock(context, session, 1);
      await expectP95WithinBudget(
        context,
        "cart GET",
        () => context.client.send(cartGetCall(context, session)),
        (reply) => expectItems(reply, expectCart(reply), { [sku]: 1 }, `adding 1 × ${sku}`),
      );
    },
  },
];
