import { needsCartGet, type ContractCase } from "../contract-case.js";
import { expectCartAnswer, expectShape, fail } from "../expect-reply.js";
import { REDELIVERY_DELAY_MS } from "../../replay-guard.js";
import { CartResponse } from "../../schemas.js";
import { cartCall, readCart } from "../requests.js";

const PARALLEL_ADDS = 20;

export const reliabilityCases: ContractCase[] = [
  {
    id: "reliability.duplicate-delivery",
    group: "reliability",
    title:
      "two identical adds one right after another leave the cart holding as many as the ok answers say, and an identical copy 1.5 s later is not applied again",
    skipReason: needsCartGet,
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      const quantityOf = async () => {
        const { items, reply } = await readCart(context, session);
        return { quantity: items.find((item) => item.sku === sku)?.quantity ?? 0, reply };
      };
      // One signature, sent as is three times: the same bytes a shopper's double tap produces.
      const delivery = context.client.prepare(cartCall(context, session, { action: "add", sku, quantity: 1 }));
      const sentAt = context.client.now();
      const first = await context.client.deliver(delivery);
      expectCartAnswer(first, { ok: true }, "the SKU is inStockSku");
      const answeredAt = context.client.now();
      const second = await context.client.deliver(delivery);
      if (second.status !== 200 && second.status !== 409) {
        fail(second, `an identical add right after the first was answered got ${second.status}: run it (a shopper adding the same product again) or refuse it with 409`);
      }
      const oks = [first, second].filter((reply) => reply.status === 200 && expectShape(reply, CartResponse, "a cart webhook").ok).length;
      const afterTwo = await quantityOf();
      if (answeredAt - sentAt >= REDELIVERY_DELAY_MS) {
        // The second copy left 1 s or more after the first: a backend may rightly take it for a re-delivery.
        context.note(`the first add took ${answeredAt - sentAt} ms, so the identical second one was not checked against the ok count`);
      } else if (afterTwo.quantity !== oks) {
        fail(
          afterTwo.reply,
          `two identical adds were answered ok ${oks} times but the cart holds ${afterTwo.quantity}: never answer ok for a change that was not made; an identical request within 1 s of the first, after its answer, is the shopper's new request (apply it, or answer 409)`,
        );
      }
      context.note(`second identical add: ${second.status} ${second.text}`);

      // A wait already past fires at once.
      await new Promise((resolve) => setTimeout(resolve, answeredAt + 1_500 - context.client.now()));
      const third = await context.client.deliver(delivery);
      const afterThree = await quantityOf();
      if (afterThree.quantity !== afterTwo.quantity) {
        fail(
          third,
          `an identical copy sent 1.5 s after the first answer changed the cart from ${afterTwo.quantity} to ${afterThree.quantity}: it is a re-delivery; answer it from the record (remember the answer for 300 s, with the first arrival time)`,
        );
      }
      if (third.status === 200 && expectShape(third, CartResponse, "a cart webhook").ok && afterThree.quantity === 0) {
        fail(third, "the re-delivery was answered ok but the cart holds none of it");
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
          // Stryker disable next-line ArithmeticOperator: a second later instead of earlier is as distinct, and 19 s ahead is inside the 300 s window
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
