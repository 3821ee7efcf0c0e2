import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

/**
 * The VIZOCHOK contract as zod schemas. Each schema and its inferred type share a name, so the
 * types, runtime validation, fixtures, the stub and the contract suite cannot drift apart.
 *
 * Written with `zod/mini`, whose functions a bundler drops when unused: a fetch-handler app
 * bundles a fraction of zod's classic API. Classic zod switches its English messages on when it
 * is imported; mini does not, so the kit does the same here, and a request the kit refuses is
 * still described as "skus.0: Too small: expected string to have >=1 characters".
 */
z.config(en());

// With the `u` flag a surrogate pair is one code point, so this matches only a lone surrogate.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A string that UTF-8 can hold: JSON's `\ud800` escapes can carry a lone UTF-16 surrogate,
 * which a database or another language's JSON decoder would store mangled or refuse.
 */
export const WellFormedText = z.string().check(z.refine((value) => !LONE_SURROGATE.test(value), { message: "must be well-formed Unicode (no lone surrogates)" }));

const Id = WellFormedText.check(z.minLength(1), z.maxLength(256));
const Money = z.number().check(z.nonnegative());

export const Sku = WellFormedText.check(z.minLength(1), z.maxLength(128));
export type Sku = z.infer<typeof Sku>;

/** Quantities may be fractional for goods sold by weight; they are always > 0. */
export const Quantity = z.number().check(z.positive());
export type Quantity = z.infer<typeof Quantity>;

// ── products webhook ──────────────────────────────────────────────────────────

export const ProductsRequest = z.object({
  skus: z.array(Sku).check(z.maxLength(500)),
  store_id: Id,
});
export type ProductsRequest = z.infer<typeof ProductsRequest>;

export const ProductOffer = z.object({
  sku: Sku,
  price: Money,
  in_stock: z.boolean(),
  // Merchants often send null for "no promo": accepted, and read as the field left out.
  promo_price: z.optional(z.pipe(z.nullish(Money), z.transform((value) => value ?? undefined))),
  promo_label: z.optional(z.pipe(z.nullish(z.string()), z.transform((value) => value ?? undefined))),
});
export type ProductOffer = z.infer<typeof ProductOffer>;

export const ProductsResponse = z.object({ products: z.array(ProductOffer) });
export type ProductsResponse = z.infer<typeof ProductsResponse>;
/** What a products handler may return: as `ProductsResponse`, with `null` allowed for promo fields. */
export type ProductsAnswer = z.input<typeof ProductsResponse>;

// ── cart webhook ──────────────────────────────────────────────────────────────

export const CART_ACTIONS = ["add", "remove", "update_quantity", "clear"] as const;
export const CartAction = z.enum(CART_ACTIONS);
export type CartAction = z.infer<typeof CartAction>;

const CartTarget = { store_id: Id, session_id: Id };

export const CartAddRequest = z.object({
  action: z.literal("add"),
  ...CartTarget,
  sku: Sku,
  name: z.optional(WellFormedText),
  quantity: z.optional(Quantity),
  price: z.optional(Money),
});
export type CartAddRequest = z.infer<typeof CartAddRequest>;

export const CartRemoveRequest = z.object({ action: z.literal("remove"), ...CartTarget, sku: Sku });
export type CartRemoveRequest = z.infer<typeof CartRemoveRequest>;

export const CartUpdateQuantityRequest = z.object({
  action: z.literal("update_quantity"),
  ...CartTarget,
  sku: Sku,
  quantity: Quantity,
});
export type CartUpdateQuantityRequest = z.infer<typeof CartUpdateQuantityRequest>;

export const CartClearRequest = z.object({ action: z.literal("clear"), ...CartTarget });
export type CartClearRequest = z.infer<typeof CartClearRequest>;

export const CartRequest = z.discriminatedUnion("action", [
  CartAddRequest,
  CartRemoveRequest,
  CartUpdateQuantityRequest,
  CartClearRequest,
]);
export type CartRequest = z.infer<typeof CartRequest>;

export const STANDARD_CART_REASONS = [
  "out_of_stock",
  "product_not_found",
  "quantity_exceeded",
  "not_in_cart",
  "missing_sku",
  "missing_params",
] as const;
export type StandardCartReason = (typeof STANDARD_CART_REASONS)[number];

/** A standard reason, or any other non-empty string the agent will read (`max_3_per_customer`). */
export const CartReason = z.string().check(z.minLength(1));
// `string & {}` keeps editor completion for the standard reasons while allowing any string.
export type CartReason = StandardCartReason | (string & {});

/** The two reasons VIZOCHOK produces itself when it gets no usable answer. */
export type VizochokCartFailure = "webhook_timeout" | "webhook_error";

export const CartResponse = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), reason: CartReason }),
]);
export type CartResponse = { ok: true } | { ok: false; reason: CartReason };

// ── cart GET webhook ─────────────────────────────────────────────────────────

export const CartGetQuery = z.object({ store_id: Id, session_id: Id });
export type CartGetQuery = z.infer<typeof CartGetQuery>;

export const CartGetItem = z.object({
  sku: Sku,
  name: z.string(),
  price: Money,
  quantity: Quantity,
  unit: z.optional(z.string()),
  promo_price: z.optional(z.nullable(Money)),
  brand: z.optional(z.nullable(z.string())),
});
export type CartGetItem = z.infer<typeof CartGetItem>;

export const CartGetResponse = z.object({ items: z.array(CartGetItem) });
export type CartGetResponse = z.infer<typeof CartGetResponse>;

// ── shapes shown to the shopper (widget, chat protocol) ─────────────────────

export const CartItem = z.object({
  sku: Sku,
  name: z.string(),
  price: Money,
  promo_price: z.nullable(Money),
  brand: z.nullable(z.string()),
  quantity: Quantity,
});
export type CartItem = z.infer<typeof CartItem>;

export const ProductItem = z.object({
  sku: Sku,
  name: z.string(),
  price: Money,
  unit: z.string(),
  quantity_step: z.number().check(z.positive()),
  quantity: z.optional(Quantity),
  brand: z.nullable(z.string()),
  image_url: z.nullable(z.string()),
  promo_price: z.nullable(Money),
  promo_label: z.optional(z.string()),
});
export type ProductItem = z.infer<typeof ProductItem>;

export const SessionSummary = z.object({
  selected_items: z.array(CartItem),
  total: Money,
  item_count: z.int().check(z.nonnegative()),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

// ── catalog (VIZOCHOK's ProductInput) ────────────────────────────────────────

export const ProductInput = z.object({
  sku: Sku,
  name: WellFormedText.check(z.minLength(1)),
  category_path: z.optional(WellFormedText),
  brand: z.optional(WellFormedText),
  description: z.optional(WellFormedText),
  ingredients: z.optional(WellFormedText),
  country: z.optional(WellFormedText),
  unit: z._default(WellFormedText.check(z.minLength(1)), "pcs"),
  quantity_step: z.optional(z.number().check(z.positive())),
  min_quantity: z.optional(z.number().check(z.positive())),
  weight: z.optional(z.number().check(z.nonnegative())),
  volume: z.optional(z.number().check(z.nonnegative())),
  image_url: z.optional(WellFormedText),
  attributes: z.optional(z.record(z.string(), z.unknown())),
  barcode: z.optional(WellFormedText),
  is_active: z._default(z.boolean(), true),
});
export type ProductInput = z.input<typeof ProductInput>;
export type Product = z.output<typeof ProductInput>;
