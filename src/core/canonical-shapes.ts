/**
 * Cheap checks for the common webhook shapes, so a valid answer (or request) is not copied by zod
 * only to be serialized. Each check answers true only when the value is already exactly what the
 * zod schema would output: plain objects with no keys beyond the schema's, in the schema's order,
 * no `null` where zod would drop it, every value valid. Then `JSON.stringify(value)` is byte for
 * byte `JSON.stringify(schema.parse(value))`. Anything else — an invalid value, extra keys, another
 * key order, a class instance — answers false and goes to zod, which decides and explains.
 * test/kit/canonical-shapes.test.ts holds each check to its schema.
 */

// With the `u` flag a surrogate pair is one code point, so this matches only a lone surrogate.
const LONE_SURROGATE = /\p{Surrogate}/u;

const OBJECT_PROTOTYPE = Object.prototype as { toJSON?: unknown };
const ARRAY_PROTOTYPE = Array.prototype as { toJSON?: unknown };

/** A plain object (what JSON.parse and literals make) that JSON.stringify writes key by key. */
function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** An ordinary array with nothing that changes how JSON.stringify writes it. */
function isPlainArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype && !Object.hasOwn(value, "toJSON");
}

/** Nothing on the shared prototypes changes how JSON.stringify writes objects and arrays. */
function prototypesClean(): boolean {
  return OBJECT_PROTOTYPE.toJSON === undefined && ARRAY_PROTOTYPE.toJSON === undefined;
}

/**
 * Which of `keys` the object has as enumerable keys, as a bit set, or -1 when it has another key
 * or has them out of `keys`' order. A key it lacks is the caller's to check: it must read as
 * undefined (no inherited or non-enumerable value zod would see and JSON.stringify would not).
 * The callers read each such key by name, which costs far less than reading it here by a key
 * that differs from call to call.
 */
function keysInOrder(value: Record<string, unknown>, keys: readonly string[]): number {
  let seen = 0;
  let next = 0;
  for (const key in value) {
    while (next < keys.length && keys[next] !== key) next++;
    if (next === keys.length) return -1;
    seen |= 1 << next;
    next++;
  }
  return seen;
}

/** No lone surrogate: `String.prototype.isWellFormed` where the runtime has it (Node ≥ 20), else the schema's pattern. */
const isWellFormed: (value: string) => boolean =
  // Stryker disable next-line ConditionalExpression,StringLiteral: the pattern gives the same answers as isWellFormed, only slower
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function"
    ? (value) => (value as string & { isWellFormed(): boolean }).isWellFormed()
    : (value) => !LONE_SURROGATE.test(value);

const isText = (value: unknown, min: number, max: number): boolean =>
  typeof value === "string" && value.length >= min && value.length <= max && isWellFormed(value);
const isSku = (value: unknown) => isText(value, 1, 128);
const isId = (value: unknown) => isText(value, 1, 256);
/** Money: a finite number ≥ 0 (NaN fails the comparison). */
const isMoney = (value: unknown) => typeof value === "number" && value >= 0 && value !== Infinity;
const isQuantity = (value: unknown) => typeof value === "number" && value > 0 && value !== Infinity;

// ── products ──────────────────────────────────────────────────────────────────

const OFFER_KEYS = ["sku", "price", "in_stock", "promo_price", "promo_label"] as const;

function isCanonicalOffer(value: unknown): boolean {
  if (!isPlain(value)) return false;
  const seen = keysInOrder(value, OFFER_KEYS);
  // sku, price and in_stock all present (one that is not, or is hidden, would be read by zod).
  // Stryker disable next-line EqualityOperator: equivalent, an object with none of the keys (0) fails the required-keys check as well
  if (seen < 0 || (seen & 0b111) !== 0b111) return false;
  // null promo fields are read as absent by the schema, so zod's output would differ; an absent
  // one must read as undefined.
  const { promo_price: promoPrice, promo_label: promoLabel } = value;
  return (
    isSku(value.sku) &&
    isMoney(value.price) &&
    typeof value.in_stock === "boolean" &&
    (promoPrice === undefined || ((seen & 0b01000) !== 0 && isMoney(promoPrice))) &&
    (promoLabel === undefined || ((seen & 0b10000) !== 0 && typeof promoLabel === "string"))
  );
}

/** `ProductsResponse` exactly as zod would output it. */
export function isCanonicalProductsResponse(value: unknown): boolean {
  if (!prototypesClean() || !isPlain(value) || keysInOrder(value, PRODUCTS_KEYS) !== 1) return false;
  const products = value.products;
  if (!isPlainArray(products)) return false;
  for (let index = 0; index < products.length; index++) if (!isCanonicalOffer(products[index])) return false;
  return true;
}
const PRODUCTS_KEYS = ["products"] as const;

const PRODUCTS_REQUEST_KEYS = ["skus", "store_id"] as const;

/** `ProductsRequest` exactly as zod would output it (at most 500 SKUs). */
export function isCanonicalProductsRequest(value: unknown): boolean {
  if (!isPlain(value) || keysInOrder(value, PRODUCTS_REQUEST_KEYS) !== 0b11 || !isId(value.store_id)) return false;
  const skus = value.skus;
  if (!isPlainArray(skus) || skus.length > 500) return false;
  for (let index = 0; index < skus.length; index++) if (!isSku(skus[index])) return false;
  return true;
}

// ── cart ──────────────────────────────────────────────────────────────────────

const CART_KEYS = ["ok", "reason"] as const;

/** `CartResponse` exactly as zod would output it: `{"ok":true}` or `{"ok":false,"reason":"…"}`. */
export function isCanonicalCartResponse(value: unknown): boolean {
  if (!prototypesClean() || !isPlain(value)) return false;
  const seen = keysInOrder(value, CART_KEYS);
  if (value.ok === true) return seen === 0b01 && value.reason === undefined;
  return value.ok === false && seen === 0b11 && typeof value.reason === "string" && value.reason.length > 0;
}

const ITEM_KEYS = ["sku", "name", "price", "quantity", "unit", "promo_price", "brand"] as const;

function isCanonicalCartItem(value: unknown): boolean {
  if (!isPlain(value)) return false;
  const seen = keysInOrder(value, ITEM_KEYS);
  // sku, name, price and quantity all present; an absent optional key must read as undefined.
  // Stryker disable next-line EqualityOperator: equivalent, an object with none of the keys (0) fails the required-keys check as well
  if (seen < 0 || (seen & 0b1111) !== 0b1111) return false;
  const { unit, promo_price: promoPrice, brand } = value;
  return (
    isSku(value.sku) &&
    typeof value.name === "string" &&
    isMoney(value.price) &&
    isQuantity(value.quantity) &&
    (unit === undefined || ((seen & 0b0010000) !== 0 && typeof unit === "string")) &&
    (promoPrice === undefined || ((seen & 0b0100000) !== 0 && (promoPrice === null || isMoney(promoPrice)))) &&
    (brand === undefined || ((seen & 0b1000000) !== 0 && (brand === null || typeof brand === "string")))
  );
}

/** `CartGetResponse` exactly as zod would output it. */
export function isCanonicalCartGetResponse(value: unknown): boolean {
  if (!prototypesClean() || !isPlain(value) || keysInOrder(value, ITEMS_KEYS) !== 1) return false;
  const items = value.items;
  if (!isPlainArray(items)) return false;
  for (let index = 0; index < items.length; index++) if (!isCanonicalCartItem(items[index])) return false;
  return true;
}
const ITEMS_KEYS = ["items"] as const;
