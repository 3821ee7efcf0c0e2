import { needsCartGet, type ContractCase } from "../contract-case.js";
import { expectCartAnswer, expectShape, fail } from "../expect-reply.js";
import { CartResponse } from "../../schemas.js";
import { cartCall, readCart } from "../requests.js";

const PARALLEL_ADDS = 20;

export const reliabilityCases: ContractCase[] = [
  {
    id: "reliability.duplicate-delivery",
    group: "reliability",
    title: "the same signed add delivered twice is applied once and answered the same both times",
    skipReason: needsCartGet,
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      const delivery = context.client.prepare(cartCall(context, session, { action: "add", sku, quantity: 1 }));
      const first = await context.client.deliver(delivery);
      expectCartAnswer(first, { ok: true }, "the SKU is inStockSku");
      const second = await context.client.deliver(delivery);
      expectCartAnswer(second, { ok: true }, "a re-delivery (VIZOCHOK retries after a timeout) gets the first answer again");
      const { items, reply } = await readCart(context, session);
      const quantity = items.find((item) => item.sku === sku)?.quantity;
      if (quantity !== 1) {
        fail(reply, `one add delivered twice left quantity ${quantity ?? 0}, expected 1: remember (timestamp, signature) for 300 s and answer a repeat from memory`);
      }
    },
  },
  {
    id: "reliability.parallel-adds",
    group: "reliability",
    title: `${PARALLEL_ADDS} parallel adds on one session leave exactly the acknowledged quantity`,
    skipReason: needsCartGet,
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      const now = context.client.nowSeconds();
      // Each add is signed a second apart so none is mistaken for a re-delivery of another.
      const replies = await Promise.all(
        Array.from({ length: PARALLEL_ADDS }, (_, index) =>
          context.client.send(cartCall(context, session, { action: "add", sku, quantity: 1 }, { timestamp: now - index })),
        ),
      );
      const failed = replies.filter((reply) => reply.status >= 500);
      if (failed.length > 0) fail(failed[0], `${failed.length} of ${PARALLEL_ADDS} parallel adds failed: serialize writes per cart (a transaction or a row lock)`);
      const acknowledged = replies.filter((reply) => expectShape(reply, CartResponse, "a cart webhook").ok).length;
      const { items, reply } = await readCart(context, session);
      const quantity = items.find((item) => item.sku === sku)?.quantity ?? 0;
      context.note(`${acknowledged} of ${PARALLEL_ADDS} acknowledged, cart holds ${quantity}`);
      if (quantity !== acknowledged) {
        fail(reply, `${acknowledged} adds answered ok but the cart holds ${quantity}: lost updates; make add an atomic increment`);
      }
      if (acknowledged < PARALLEL_ADDS) {
        fail(reply, `only ${acknowledged} of ${PARALLEL_ADDS} parallel adds of 1 × ${sku} succeeded; inStockSku needs at least ${PARALLEL_ADDS} in stock`);
      }
    },
  },
];
