// The fast shape checks against the zod schemas they stand in for: whenever a check says yes,
// zod accepts the value and its output serializes to the same bytes; the answer check's text and
// its accept/reject are zod's for every value, canonical or not.
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { CartGetResponse, CartResponse, ProductsRequest, ProductsResponse } from "vizochok-merchant-kit";
import type * as z from "zod/mini";
import { serializeAnswer } from "../../src/core/answer-check.js";
import {
  isCanonicalCartGetResponse,
  isCanonicalCartResponse,
  isCanonicalProductsRequest,
  isCanonicalProductsResponse,
} from "../../src/core/canonical-shapes.js";

/** Values near the edges of every field: valid, empty, too long, lone surrogates, odd numbers, null. */
const anyValue = fc.oneof(
  fc.constantFrom("milk-001", "", "x".repeat(128), "x".repeat(129), "x".repeat(257), "\ud800", "a\udc00b", "🥛", "Молоко"),
  fc.string({ maxLength: 6 }),
  fc.constantFrom(0, -0, 1, 10.5, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.constant({}),
  fc.constant([]),
);

/** An object with some of `keys` (plus maybe an extra one), in any order, each value valid or odd. */
function objectOf(keys: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(keys).map(([key, valid]) =>
    fc.option(fc.tuple(fc.constant(key), fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyValue })), { freq: 6 }),
  );
  const extra = fc.option(fc.tuple(fc.constantFrom("name", "extra", "__proto__", "toJSON", "0"), anyValue), { freq: 5 });
  return fc
    .tuple(fc.tuple(...entries), extra, fc.boolean())
    .map(([pairs, more, shuffle]) => {
      const present = pairs.filter((pair): pair is [string, unknown] => pair !== null);
      if (more !== null) present.push(more);
      if (shuffle) present.reverse();
      const object: Record<string, unknown> = {};
      for (const [key, value] of present) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      return object;
    });
}

const sku = fc.constantFrom("milk-001", "oat-2", "сир", "x".repeat(128));
const money = fc.constantFrom(0, 1, 42.5, 1e6);
const offer = objectOf({
  sku,
  price: money,
  in_stock: fc.boolean(),
  promo_price: fc.constantFrom(undefined, 3, 0),
  promo_label: fc.constantFrom(undefined, "−10%", ""),
});
const productsAnswer = fc.oneof(
  fc.array(offer, { maxLength: 4 }).map((products) => ({ products })),
  objectOf({ products: fc.array(offer, { maxLength: 3 }) }),
  anyValue,
);
const cartAnswer = fc.oneof(
  objectOf({ ok: fc.boolean(), reason: fc.constantFrom("out_of_stock", "max_3_per_customer", "") }),
  anyValue,
);
const item = objectOf({
  sku,
  name: fc.constantFrom("Milk", ""),
  price: money,
  quantity: fc.constantFrom(1, 0.5, 0),
  unit: fc.constantFrom(undefined, "pcs"),
  promo_price: fc.constantFrom(undefined, null, 2),
  brand: fc.constantFrom(undefined, null, "Galychyna"),
});
const cartGetAnswer = fc.oneof(fc.array(item, { maxLength: 4 }).map((items) => ({ items })), anyValue);
const productsRequest = fc.oneof(
  objectOf({ skus: fc.array(sku, { maxLength: 5 }), store_id: fc.constantFrom("store-1", "", "x".repeat(257)) }),
  anyValue,
);

const cases: Array<[string, z.ZodMiniType, (value: unknown) => boolean, fc.Arbitrary<unknown>]> = [
  ["ProductsResponse", ProductsResponse, isCanonicalProductsResponse, productsAnswer],
  ["CartResponse", CartResponse, isCanonicalCartResponse, cartAnswer],
  ["CartGetResponse", CartGetResponse, isCanonicalCartGetResponse, cartGetAnswer],
  ["ProductsRequest", ProductsRequest, isCanonicalProductsRequest, productsRequest],
];

describe.each(cases)("the %s check", (_name, schema, isCanonical, values) => {
  it("says yes only for values zod accepts and outputs as the same JSON text", () => {
    let canonical = 0;
    fc.assert(
      fc.property(values, (value) => {
        if (!isCanonical(value)) return;
        canonical++;
        const parsed = schema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(JSON.stringify(value)).toBe(JSON.stringify(parsed.data));
      }),
      { numRuns: 3000 },
    );
    // The fast path is really taken for the usual shapes, or this check would be idle. How many of
    // the 3,000 random values are canonical depends on the seed (18 to a few dozen seen), so the
    // bound only rules out an idle check.
    expect(canonical).toBeGreaterThanOrEqual(5);
  });
});

/** The same keys and values, in a plain object without a prototype (as `Object.create(null)` makes). */
const bare = (value: Record<string, unknown>): Record<string, unknown> => Object.assign(Object.create(null) as Record<string, unknown>, value);

const offer1 = { sku: "milk-001", price: 42.5, in_stock: true };
const item1 = { sku: "milk-001", name: "Milk", price: 42.5, quantity: 1 };

// Answers already in each schema's output shape, one per way of being so: every optional field
// present and absent, the null a cart item may carry, text and numbers at their bounds, objects
// without a prototype.
const CANONICAL: Array<[string, z.ZodMiniType, unknown]> = [
  ["no products", ProductsResponse, { products: [] }],
  ["a one-letter SKU, price 0, out of stock", ProductsResponse, { products: [{ sku: "m", price: 0, in_stock: false }] }],
  ["a 128-character SKU of surrogate pairs", ProductsResponse, { products: [{ sku: "🥛".repeat(64), price: 1, in_stock: true }] }],
  ["both promo fields, a free promo with an empty label", ProductsResponse, { products: [{ ...offer1, promo_price: 0, promo_label: "" }] }],
  ["a promo price alone", ProductsResponse, { products: [{ ...offer1, promo_price: 40 }] }],
  ["a promo label alone", ProductsResponse, { products: [{ ...offer1, promo_label: "−10%" }] }],
  ["an offer left undefined in a promo field", ProductsResponse, { products: [{ ...offer1, promo_price: undefined }] }],
  ["objects without a prototype", ProductsResponse, bare({ products: [bare(offer1), bare({ ...offer1, sku: "bread-002" })] })],
  ["ok", CartResponse, { ok: true }],
  ["a refusal", CartResponse, { ok: false, reason: "out_of_stock" }],
  ["a one-letter reason", CartResponse, { ok: false, reason: "x" }],
  ["ok without a prototype", CartResponse, bare({ ok: true })],
  ["an empty cart", CartGetResponse, { items: [] }],
  ["an item with no optional field, a nameless one, a quantity of a thousandth", CartGetResponse, { items: [item1, { ...item1, sku: "tea", name: "", quantity: 0.001 }] }],
  ["an item with every field", CartGetResponse, { items: [{ ...item1, unit: "kg", promo_price: 0, brand: "Galychyna" }] }],
  ["an item with null promo price and brand", CartGetResponse, { items: [{ ...item1, promo_price: null, brand: null }] }],
  ["an item with a unit alone", CartGetResponse, { items: [{ ...item1, unit: "pcs" }] }],
  ["an item without a prototype", CartGetResponse, bare({ items: [bare(item1)] })],
];

describe("serializeAnswer() without zod", () => {
  it.each(CANONICAL)("sends %s as it is, without a zod parse, zod's text", (_name, schema, answer) => {
    const zodText = JSON.stringify(schema.safeParse(answer).data);
    const parse = vi.spyOn(schema, "safeParse");
    try {
      expect(serializeAnswer(schema, answer)).toEqual({ ok: true, text: zodText });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it("parses with zod, same text, while Object.prototype or Array.prototype has a toJSON", () => {
    for (const prototype of [Object.prototype, Array.prototype]) {
      Object.defineProperty(prototype, "toJSON", { value: function (this: unknown) { return this; }, configurable: true, writable: true });
      const parse = vi.spyOn(ProductsResponse, "safeParse");
      try {
        expect(serializeAnswer(ProductsResponse, { products: [offer1] })).toEqual({ ok: true, text: JSON.stringify({ products: [offer1] }) });
        expect(parse).toHaveBeenCalledTimes(1);
      } finally {
        parse.mockRestore();
        delete (prototype as { toJSON?: unknown }).toJSON;
      }
    }
  });
});

describe("isCanonicalProductsRequest()", () => {
  it("says yes for the usual request at its bounds: 500 SKUs, a 256-character store, a one-letter store, none, a request without a prototype", () => {
    const skus = Array.from({ length: 500 }, (_, index) => `sku-${index}`);
    for (const request of [{ skus, store_id: "s".repeat(256) }, { skus: [], store_id: "s" }, bare({ skus: ["milk-001"], store_id: "store-1" })]) {
      expect(isCanonicalProductsRequest(request)).toBe(true);
      expect(JSON.stringify(ProductsRequest.safeParse(request).data)).toBe(JSON.stringify(request));
    }
    expect(isCanonicalProductsRequest({ skus: [...skus, "sku-500"], store_id: "store-1" })).toBe(false);
    expect(isCanonicalProductsRequest({ skus: ["milk-001", ""], store_id: "store-1" })).toBe(false);
  });
});

describe("serializeAnswer()", () => {
  it.each(cases.slice(0, 3))("gives zod's accept/reject and zod's text for every %s value", (_name, schema, _check, values) => {
    fc.assert(
      fc.property(values, (value) => {
        const parsed = schema.safeParse(value);
        const serialized = serializeAnswer(schema, value);
        expect(serialized.ok).toBe(parsed.success);
        if (serialized.ok && parsed.success) expect(serialized.text).toBe(JSON.stringify(parsed.data));
      }),
      { numRuns: 3000 },
    );
  });

  it("leaves to zod what JSON.stringify would write differently: nulls read as absent, extra or reordered keys, class instances, hidden values", () => {
    class Offer {
      constructor(
        readonly sku: string,
        readonly price: number,
        readonly in_stock: boolean,
      ) {}
      get promo_price() {
        return 5;
      }
    }
    const hidden = { sku: "milk-001", price: 1 } as Record<string, unknown>;
    Object.defineProperty(hidden, "in_stock", { value: true, enumerable: false });
    const withToJson = [{ sku: "milk-001", price: 1, in_stock: true }];
    Object.defineProperty(withToJson, "toJSON", { value: () => "spoofed" });
    class Listing extends Array<unknown> {
      toJSON() {
        return "spoofed";
      }
    }
    const listing = Listing.from([{ sku: "milk-001", price: 1, in_stock: true }]);
    class PricedOffer {
      sku = "milk-001";
      price = 1;
      in_stock = true;
      toJSON() {
        return { sku: this.sku };
      }
    }
    const hiddenProducts = {} as Record<string, unknown>;
    Object.defineProperty(hiddenProducts, "products", { value: [{ sku: "milk-001", price: 1, in_stock: true }], enumerable: false });
    const hiddenPromo = { sku: "milk-001", price: 1, in_stock: true } as Record<string, unknown>;
    Object.defineProperty(hiddenPromo, "promo_price", { value: 5, enumerable: false });
    const odd: Array<[unknown, string]> = [
      [{ products: [{ sku: "milk-001", price: 1, in_stock: true, promo_price: null, promo_label: null }] }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true}]}'],
      [{ products: [{ sku: "milk-001", price: 1, in_stock: true, name: "Milk" }] }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true}]}'],
      [{ products: [{ price: 1, in_stock: true, sku: "milk-001" }] }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true}]}'],
      [{ products: [new Offer("milk-001", 1, true)] }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true,"promo_price":5}]}'],
      [{ products: [hidden] }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true}]}'],
      [{ products: withToJson }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true}]}'],
      [{ products: listing }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true}]}'],
      [{ products: [new PricedOffer()] }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true}]}'],
      [hiddenProducts, '{"products":[{"sku":"milk-001","price":1,"in_stock":true}]}'],
      [{ products: [hiddenPromo] }, '{"products":[{"sku":"milk-001","price":1,"in_stock":true,"promo_price":5}]}'],
    ];
    for (const [answer, text] of odd) {
      expect(isCanonicalProductsResponse(answer)).toBe(false);
      expect(serializeAnswer(ProductsResponse, answer)).toEqual({ ok: true, text });
    }
    class CartLine {
      sku = "milk-001";
      name = "Milk";
      price = 1;
      quantity = 1;
      toJSON() {
        return { sku: this.sku };
      }
    }
    const line = '{"sku":"milk-001","name":"Milk","price":1,"quantity":1}';
    expect(serializeAnswer(CartGetResponse, { items: [new CartLine()] })).toEqual({ ok: true, text: `{"items":[${line}]}` });
    expect(serializeAnswer(CartGetResponse, { items: [{ ...item1, sku: "milk-001", name: "Milk", price: 1, note: "x" }] })).toEqual({ ok: true, text: `{"items":[${line}]}` });
    expect(serializeAnswer(CartGetResponse, { items: [], total: 0 })).toEqual({ ok: true, text: '{"items":[]}' });
    expect(serializeAnswer(CartResponse, { reason: "out_of_stock", ok: false })).toEqual({ ok: true, text: '{"ok":false,"reason":"out_of_stock"}' });
    expect(serializeAnswer(CartResponse, { ok: true, reason: "ignored" })).toEqual({ ok: true, text: '{"ok":true}' });
  });

  it("leaves to zod a key the object lacks but zod reads: hidden (non-enumerable) or inherited, for every field of every shape", () => {
    /** `value` with `key` defined on it, not enumerable. */
    const hidden = (value: Record<string, unknown>, key: string, field: unknown) => Object.defineProperty({ ...value }, key, { value: field, enumerable: false });
    /** `value` with a prototype that carries `key` (zod reads it, JSON.stringify does not write it). */
    const inherited = (value: Record<string, unknown>, key: string, field: unknown) => Object.assign(Object.create({ [key]: field }) as Record<string, unknown>, value);
    const shapes: Array<[z.ZodMiniType, (value: unknown) => boolean, Record<string, unknown>, Record<string, unknown>, (entry: Record<string, unknown>) => unknown]> = [
      [ProductsResponse, isCanonicalProductsResponse, offer1, { sku: "milk-001", price: 1, in_stock: true, promo_price: 5, promo_label: "−10%" }, (entry) => ({ products: [entry] })],
      [CartGetResponse, isCanonicalCartGetResponse, item1, { sku: "milk-001", name: "Milk", price: 1, quantity: 1, unit: "kg", promo_price: null, brand: null }, (entry) => ({ items: [entry] })],
      [CartResponse, isCanonicalCartResponse, { ok: true }, { ok: false, reason: "out_of_stock" }, (entry) => entry],
    ];
    for (const [schema, isCanonical, base, fields, wrap] of shapes) {
      for (const [key, field] of Object.entries(fields)) {
        const { [key]: _left, ...without } = base;
        for (const make of [hidden, inherited]) {
          const answer = wrap(make(without, key, field));
          expect(isCanonical(answer)).toBe(false);
          const parsed = schema.safeParse(answer);
          const serialized = serializeAnswer(schema, answer);
          expect(serialized.ok).toBe(parsed.success);
          if (serialized.ok) expect(serialized.text).toBe(JSON.stringify(parsed.data));
        }
      }
    }
    // A hidden reason on an ok answer is still read by zod, so the ok answer goes to zod too.
    expect(isCanonicalCartResponse(hidden({ ok: true }, "reason", "stale"))).toBe(false);
    // The same keys enumerable and in order are the fast path (so the checks above are not idle).
    expect(isCanonicalProductsResponse({ products: [shapes[0]![3]] })).toBe(true);
    expect(isCanonicalCartGetResponse({ items: [shapes[1]![3]] })).toBe(true);
  });

  it("rejects what zod rejects, with zod's issues: a price as text, a lone surrogate, NaN, a missing reason", () => {
    const bad: Array<[z.ZodMiniType, unknown, string]> = [
      [ProductsResponse, { products: [{ sku: "milk-001", price: "42.50", in_stock: true }] }, "price"],
      [ProductsResponse, { products: [{ sku: "milk-\ud800", price: 1, in_stock: true }] }, "sku"],
      [ProductsResponse, { products: [{ sku: "milk-001", price: Number.NaN, in_stock: true }] }, "price"],
      [ProductsResponse, { products: [{ sku: "milk-001", price: Number.POSITIVE_INFINITY, in_stock: true }] }, "price"],
      [ProductsResponse, { products: Object.setPrototypeOf({ 0: { sku: "milk-001", price: 1, in_stock: true }, length: 1 }, Array.prototype) }, "products"],
      [CartResponse, { ok: false }, "reason"],
      [ProductsResponse, { products: [{ sku: "milk-001", price: 1, in_stock: true, promo_label: 10 }] }, "promo_label"],
      [CartGetResponse, { items: {} }, "items"],
      [CartGetResponse, { items: [{ ...item1, name: 5 }] }, "name"],
      [CartGetResponse, { items: [{ ...item1, quantity: "2" }] }, "quantity"],
      [CartGetResponse, { items: [{ ...item1, quantity: Number.POSITIVE_INFINITY }] }, "quantity"],
      [CartGetResponse, { items: [{ ...item1, unit: 1 }] }, "unit"],
      [CartGetResponse, { items: [{ ...item1, promo_price: "1" }] }, "promo_price"],
      [CartGetResponse, { items: [{ ...item1, brand: 5 }] }, "brand"],
      [CartGetResponse, { items: [{ sku: "milk-001", name: "Milk", price: 1, quantity: 0 }] }, "quantity"],
    ];
    for (const [schema, answer, field] of bad) {
      const serialized = serializeAnswer(schema, answer);
      expect(serialized.ok).toBe(false);
      expect(!serialized.ok && serialized.error.issues.map((issue) => issue.path.at(-1))).toContain(field);
    }
  });
});
