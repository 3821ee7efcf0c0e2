import { ProductsResponse, type ProductOffer } from "../../schemas.js";
import type { WebhookReply } from "../client.js";
import type { ContractCase, ContractContext } from "../contract-case.js";
import { expectShape, expectStatus, fail } from "../expect-reply.js";
import { expectP95WithinBudget, LATENCY_CALLS } from "../latency.js";
import { productsCall, unknownSku } from "../requests.js";

async function products(context: ContractContext, skus: string[]): Promise<{ offers: ProductOffer[]; reply: WebhookReply }> {
  const reply = await context.client.send(productsCall(context, skus));
  return { offers: expectShape(reply, ProductsResponse, "a products webhook").products, reply };
}

/** Every SKU the config names, for the cases that look at several answers at once. */
function knownSkus(context: ContractContext): string[] {
  const { inStockSku, outOfStockSku, limitedSku } = context.config;
  return [...new Set([inStockSku, outOfStockSku, limitedSku?.sku].filter((sku) => sku !== undefined))];
}

function expectOnlyRequested(reply: WebhookReply, offers: ProductOffer[], requested: string[]): void {
  const extra = offers.filter((offer) => !requested.includes(offer.sku)).map((offer) => offer.sku);
  if (extra.length > 0) {
    fail(reply, `the answer has SKUs that were not requested (${extra.join(", ")}): answer only the SKUs in "skus"`);
  }
  const seen = new Set<string>();
  for (const offer of offers) {
    if (seen.has(offer.sku)) fail(reply, `${offer.sku} appears twice: answer each requested SKU at most once`);
    seen.add(offer.sku);
  }
}

const isAvailable = (offers: ProductOffer[], sku: string) => offers.some((offer) => offer.sku === sku && offer.in_stock);

export const productsCases: ContractCase[] = [
  {
    id: "products.shape",
    group: "products",
    title: 'answers 200 {"products": [{sku, price, in_stock, promo_price?, promo_label?}]} with the in-stock SKU available',
    async run(context) {
      const sku = context.config.inStockSku;
      const { offers, reply } = await products(context, [sku]);
      if (!isAvailable(offers, sku)) fail(reply, `${sku} (inStockSku in the config) must be answered with "in_stock": true`);
    },
  },
  {
    id: "products.only-requested",
    group: "products",
    title: "answers only the SKUs that were requested, each at most once",
    async run(context) {
      const skus = [context.config.inStockSku];
      const { offers, reply } = await products(context, skus);
      expectOnlyRequested(reply, offers, skus);
    },
  },
  {
    id: "products.unknown-sku",
    group: "products",
    title: 'an unknown SKU is left out or answered "in_stock": false, and the rest is still answered',
    async run(context) {
      const unknown = unknownSku(context);
      const { offers, reply } = await products(context, [context.config.inStockSku, unknown]);
      if (isAvailable(offers, unknown)) fail(reply, `${unknown} does not exist but is offered in stock: leave unknown SKUs out`);
      if (!isAvailable(offers, context.config.inStockSku)) {
        fail(reply, `one unknown SKU hid ${context.config.inStockSku}: answer the SKUs you know and omit the others`);
      }
    },
  },
  {
    id: "products.out-of-stock",
    group: "products",
    title: 'the out-of-stock SKU is left out or answered "in_stock": false',
    skipReason: (config) => (config.outOfStockSku === undefined ? "no outOfStockSku in the config" : undefined),
    async run(context) {
      const sku = context.config.outOfStockSku!;
      const { offers, reply } = await products(context, [sku]);
      if (isAvailable(offers, sku)) fail(reply, `${sku} (outOfStockSku) is offered in stock: answer "in_stock": false when nothing is left`);
    },
  },
  {
    id: "products.non-negative-numbers",
    group: "products",
    title: "prices and promo prices are finite numbers ≥ 0",
    async run(context) {
      const reply = await context.client.send(productsCall(context, knownSkus(context)));
      expectStatus(reply, 200, "a products webhook must be answered 200");
      const offers = (reply.json as { products?: unknown } | undefined)?.products;
      if (!Array.isArray(offers)) fail(reply, 'the answer has no "products" array');
      for (const offer of offers as Array<Record<string, unknown>>) {
        for (const field of ["price", "promo_price"] as const) {
          const value = offer[field];
          // No promotion: the field left out, or null (which the contract reads as left out).
          if (field === "promo_price" && (value === undefined || value === null)) continue;
          // Number.isFinite is false for anything but a number, so "42.5" is refused here too.
          if (!Number.isFinite(value) || (value as number) < 0) {
            fail(reply, `${String(offer.sku)}: "${field}" is ${JSON.stringify(value)}; send a number ≥ 0 (not a string)`);
          }
        }
      }
    },
  },
  {
    id: "products.promo-below-price",
    group: "products",
    title: "a promo_price, when present, is below price",
    async run(context) {
      const { offers, reply } = await products(context, knownSkus(context));
      for (const offer of offers) {
        if (offer.promo_price !== undefined && offer.promo_price >= offer.price) {
          fail(reply, `${offer.sku}: promo_price ${offer.promo_price} is not below price ${offer.price}; omit promo_price when there is no promotion`);
        }
      }
      const promos = offers.filter((offer) => offer.promo_price !== undefined).length;
      context.note(`${promos} of ${offers.length} answered SKUs had a promo_price`);
    },
  },
  {
    id: "products.batch-of-10",
    group: "products",
    title: "a batch of 10 SKUs (known and unknown) is answered in one call",
    async run(context) {
      const skus = knownSkus(context);
      while (skus.length < 10) skus.push(unknownSku(context));
      const { offers, reply } = await products(context, skus);
      expectOnlyRequested(reply, offers, skus);
      if (!isAvailable(offers, context.config.inStockSku)) fail(reply, `${context.config.inStockSku} is missing from a batch answer`);
    },
  },
  {
    id: "products.order-and-duplicates",
    group: "products",
    title: "SKUs in any order and repeated are answered as each is when asked alone",
    async run(context) {
      const known = knownSkus(context);
      const alone = new Map<string, ProductOffer | undefined>();
      for (const sku of known) alone.set(sku, (await products(context, [sku])).offers.find((offer) => offer.sku === sku));
      // Reversed, then every SKU again: an answer matched to the request by position shows.
      const mixed = [...known].reverse().concat(known);
      const { offers, reply } = await products(context, mixed);
      for (const sku of known) {
        const expected = alone.get(sku);
        const answered = offers.filter((offer) => offer.sku === sku);
        if (expected !== undefined && answered.length === 0) fail(reply, `${sku} is answered when asked alone but left out when asked with others: answer every known SKU`);
        for (const offer of answered) {
          if (expected === undefined || !sameOffer(offer, expected)) {
            fail(reply, `${sku} is answered ${describeOffer(offer)} here but ${expected === undefined ? "left out" : describeOffer(expected)} when asked alone: match offers to SKUs by "sku", not by position`);
          }
        }
      }
    },
  },
  {
    id: "products.latency-p95",
    group: "products",
    title: `the p95 latency of ${LATENCY_CALLS} calls is well inside VIZOCHOK's 5 s budget`,
    async run(context) {
      await expectP95WithinBudget(
        context,
        "products",
        () => context.client.send(productsCall(context, [context.config.inStockSku])),
        (reply) => expectStatus(reply, 200, "a products webhook must be answered 200"),
      );
    },
  },
];

const sameOffer = (a: ProductOffer, b: ProductOffer) => a.price === b.price && a.in_stock === b.in_stock && a.promo_price === b.promo_price;
const describeOffer = (offer: ProductOffer) =>
  `price ${offer.price}${offer.promo_price === undefined ? "" : `, promo ${offer.promo_price}`}, in_stock ${offer.in_stock}`;
