import { z } from "zod";

/**
 * The VIZOCHOK contract as zod schemas. Each schema and its inferred type share a name, so the
 * types, runtime validation, fixtures, the stub and the contract suite cannot drift apart.
 */

// With the `u` flag a surrogate pair is one code point, so this matches only a lone surrogate.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A string that UTF-8 can hold: JSON's `\ud800` escapes can carry a lone UTF-16 surrogate,
 * which a database or another language's JSON decoder would store mangled or refuse.
 */
export const WellFormedText = z.string().refine((value) => !LONE_SURROGATE.test(value), { message: "must be well-formed Unicode (no lone surrogates)" });

const Id = WellFormedText.check(z.minLength(1), z.maxLength(256));
const Money = z.number().finite().nonnegative();

export const Sku = WellFormedText.check(z.minLength(1), z.maxLength(128));
export type Sku = z.infer<typeof Sku>;

/** Quantities may be fractional for goods sold by weight; they are always > 0. */
export const Quantity = z.number().finite().positive();
export type Quantity = z.infer<typeof Quantity>;

// ── products webhook ──────────────────────────────────────────────────────────

export const ProductsRequest = z.object({
  skus: z.array(Sku).max(500),
  store_id: Id,
});
export type ProductsRequest = z.infer<typeof ProductsRequest>;

export const ProductOffer = z.object({
  sku: Sku,
  price: Money,
  in_stock: z.boolean(),
  // Merchants often send null for "no promo": accepted, and read as the field left out.
  promo_price: Money.nullish().transform((value) => value ?? undefined).optional(),
  promo_label: z.string().nullish().transform((value) => value ?? undefined).optional(),
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
  name: WellFormedText.optional(),
  quantity: Quantity.optional(),
  price: Money.optional(),
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
export const CartReason = z.string().min(1);
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
  unit: z.string().optional(),
  promo_price: Money.nullable().optional(),
  brand: z.string().nullable().optional(),
});
export type CartGetItem = z.infer<typeof CartGetItem>;

export const CartGetResponse = z.object({ items: z.array(CartGetItem) });
export type CartGetResponse = z.infer<typeof CartGetResponse>;

// ── shapes shown to the shopper (widget, chat protocol) ─────────────────────

export const CartItem = z.object({
  sku: Sku,
  name: z.string(),
  price: Money,
  promo_price: Money.nullable(),
  brand: z.string().nullable(),
  quantity: Quantity,
});
export type CartItem = z.infer<typeof CartItem>;

export const ProductItem = z.object({
  sku: Sku,
  name: z.string(),
  price: Money,
  unit: z.string(),
  quantity_step: z.number().positive(),
  quantity: Quantity.optional(),
  brand: z.string().nullable(),
  image_url: z.string().nullable(),
  promo_price: Money.nullable(),
  promo_label: z.string().optional(),
});
export type ProductItem = z.infer<typeof ProductItem>;

export const SessionSummary = z.object({
  selected_items: z.array(CartItem),
  total: Money,
  item_count: z.number().int().nonnegative(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

// ── catalog (VIZOCHOK's ProductInput) ────────────────────────────────────────

export const ProductInput = z.object({
  sku: Sku,
  name: WellFormedText.check(z.minLength(1)),
  category_path: WellFormedText.optional(),
  brand: WellFormedText.optional(),
  description: WellFormedText.optional(),
  ingredients: WellFormedText.optional(),
  country: WellFormedText.optional(),
  unit: WellFormedText.check(z.minLength(1)).default("pcs"),
  quantity_step: z.number().positive().optional(),
  min_quantity: z.number().positive().optional(),
  weight: z.number().nonnegative().optional(),
  volume: z.number().nonnegative().optional(),
  image_url: WellFormedText.optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  barcode: WellFormedText.optional(),
  is_active: z.boolean().default(true),
});
export type ProductInput = z.input<typeof ProductInput>;
export type Product = z.output<typeof ProductInput>;
