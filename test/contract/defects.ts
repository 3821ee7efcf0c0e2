// Which case must catch which defect. Each broken backend must fail every case in `fails`, and
// nothing outside `fails` and `mayAlsoFail` (anything else would be a false alarm). `because`
// pins the first line of the message of the first case in `fails`, the line a merchant reads: so
// switching that check off, or emptying any part of what it says, fails a test. `alsoBecause` pins
// the first line of other cases in `fails` the same way.
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import type { Defect } from "./broken-merchants.js";

export interface DefectExpectation {
  defect: Exclude<Defect, "none">;
  fails: string[];
  mayAlsoFail?: string[];
  because?: RegExp;
  alsoBecause?: Record<string, RegExp>;
}

const ids = (group: string) => CONTRACT_CASES.filter((c) => c.group === group).map((c) => c.id);
/** Every case that reads a cart back after a rejected or an answered add. */
const SIGNATURE = ids("signature");
const PRODUCTS = ids("products");

export const SIGNATURE_DEFECTS: DefectExpectation[] = [
  { defect: "no-signature-check", fails: SIGNATURE },
  { defect: "unsigned-requests-accepted", fails: ["signature.unsigned"] },
  {
    defect: "unsigned-products-calls-accepted",
    fails: ["signature.unsigned"],
    because: /^expected 401 \(or 400\/403\), got 200: verify X-VIZOCHOK-Signature on every webhook before reading the request$/m,
  },
  {
    defect: "unsigned-cart-get-accepted",
    fails: ["signature.unsigned"],
    because: /^expected 401 \(or 400\/403\), got 200: verify X-VIZOCHOK-Signature on every webhook before reading the request$/m,
  },
  {
    defect: "hmac-never-compared",
    fails: ["signature.wrong-secret", "signature.tampered-byte"],
    mayAlsoFail: ["signature.other-timestamp", "signature.body-only-signature"],
  },
  { defect: "stale-timestamps-accepted", fails: ["signature.stale"] },
  { defect: "future-timestamps-accepted", fails: ["signature.future"] },
  { defect: "500-on-non-hex-signature", fails: ["signature.malformed-header"], mayAlsoFail: ["signature.signature-sent-twice"], because: /got 500/ },
  { defect: "empty-signature-accepted", fails: ["signature.empty-signature"] },
  { defect: "signature-prefix-accepted", fails: ["signature.truncated-signature"] },
  { defect: "signature-with-suffix-accepted", fails: ["signature.appended-signature"], mayAlsoFail: ["signature.signature-sent-twice"] },
  { defect: "signature-for-any-timestamp-accepted", fails: ["signature.other-timestamp"] },
  { defect: "body-only-signature-accepted", fails: ["signature.body-only-signature"] },
  { defect: "spaces-stripped-from-timestamp", fails: ["signature.timestamp-with-spaces"] },
  { defect: "timestamp-parsed-leniently", fails: ["signature.timestamp-with-spaces"], mayAlsoFail: ["signature.timestamp-sent-twice"] },
  { defect: "first-of-repeated-headers-taken", fails: ["signature.timestamp-sent-twice", "signature.signature-sent-twice"] },
  { defect: "signature-list-accepted", fails: ["signature.signature-sent-twice"] },
  { defect: "add-applied-before-verifying", fails: SIGNATURE, because: /a rejected request still changed the cart/ },
];

export const OTHER_DEFECTS: DefectExpectation[] = [
  // products
  { defect: "single-sku-answered-out-of-stock", fails: ["products.shape"], mayAlsoFail: ["products.order-and-duplicates"], because: /^milk-001 \(inStockSku in the config\) must be answered with "in_stock": true$/m },
  { defect: "unrequested-skus-returned", fails: ["products.only-requested"], mayAlsoFail: ["products.batch-of-10"], because: /^the answer has SKUs that were not requested \(bread-001\): answer only the SKUs in "skus"$/m },
  { defect: "sku-answered-twice", fails: ["products.only-requested"], mayAlsoFail: ["products.batch-of-10"], because: /^milk-001 appears twice: answer each requested SKU at most once$/m },
  { defect: "unknown-sku-offered", fails: ["products.unknown-sku"], because: /^vizochok-contract-unknown-\S+ does not exist but is offered in stock: leave unknown SKUs out$/m },
  { defect: "out-of-stock-offered", fails: ["products.out-of-stock"], because: /^milk-003 \(outOfStockSku\) is offered in stock: answer "in_stock": false when nothing is left$/m },
  {
    defect: "negative-price-for-no-stock",
    fails: ["products.non-negative-numbers"],
    // The others read the answer through the schema, which refuses a negative price too.
    mayAlsoFail: ["products.out-of-stock", "products.promo-below-price", "products.batch-of-10", "products.order-and-duplicates"],
    because: /^milk-003: "price" is -1; send a number ≥ 0 \(not a string\)$/m,
  },
  { defect: "promo-price-equal-to-price", fails: ["products.promo-below-price"], because: /^milk-003: promo_price 44\.9 is not below price 44\.9; omit promo_price when there is no promotion$/m },
  { defect: "batch-over-8-refused", fails: ["products.batch-of-10"], because: /^expected 200, got 400: a products webhook must be answered 200$/m },
  { defect: "offers-matched-by-position", fails: ["products.order-and-duplicates"], because: /^milk-001 is answered price 44\.9, in_stock false here but price 42\.5, promo 38\.9, in_stock true when asked alone: match offers to SKUs by "sku", not by position$/m },
  { defect: "500-on-repeated-skus", fails: ["products.order-and-duplicates"], because: /^expected 200, got 500: a products webhook must be answered 200$/m },
  { defect: "every-10th-products-call-slow", fails: ["products.latency-p95"], because: /^the products webhook's p95 latency \d+ ms is over 1000 ms \(VIZOCHOK gives up after 5 s and retries once\): answer from a cache or an index, and keep slow work off the request$/m },
  {
    defect: "unknown-sku-empties-the-answer",
    fails: ["products.unknown-sku", "products.batch-of-10"],
    because: /^one unknown SKU hid milk-001: answer the SKUs you know and omit the others$/m,
  },
  {
    defect: "prices-sent-as-strings",
    fails: ["products.non-negative-numbers"],
    // The others read the answer through the schema, which refuses a string price too.
    mayAlsoFail: ["products.shape", "products.only-requested", "products.unknown-sku", "products.out-of-stock", "products.promo-below-price", "products.batch-of-10", "products.order-and-duplicates"],
    because: /^milk-001: "price" is "42\.5"; send a number ≥ 0 \(not a string\)$/m,
  },
  {
    defect: "negative-promo-price",
    fails: ["products.non-negative-numbers"],
    mayAlsoFail: ["products.shape", "products.only-requested", "products.unknown-sku", "products.out-of-stock", "products.promo-below-price", "products.batch-of-10", "products.order-and-duplicates"],
    because: /^milk-001: "promo_price" is -1; send a number ≥ 0 \(not a string\)$/m,
  },
  {
    defect: "products-as-an-object",
    fails: ["products.non-negative-numbers"],
    mayAlsoFail: ["products.shape", "products.only-requested", "products.unknown-sku", "products.out-of-stock", "products.promo-below-price", "products.batch-of-10", "products.order-and-duplicates"],
    because: /^the answer has no "products" array$/m,
  },
  {
    defect: "repeated-skus-left-out",
    fails: ["products.order-and-duplicates"],
    because: /^milk-001 is answered when asked alone but left out when asked with others: answer every known SKU$/m,
  },
  // Each differs from a single lookup in one part of an offer only, and only in a batch.
  {
    defect: "batch-prices-from-another-list",
    fails: ["products.order-and-duplicates"],
    because: /^milk-001 is answered price 43\.5, promo 38\.9, in_stock true here but price 42\.5, promo 38\.9, in_stock true when asked alone: match offers to SKUs by "sku", not by position$/m,
  },
  {
    defect: "low-stock-out-of-stock-in-batches",
    fails: ["products.order-and-duplicates"],
    because: /^milk-002 is answered price 39\.9, in_stock false here but price 39\.9, in_stock true when asked alone: match offers to SKUs by "sku", not by position$/m,
  },
  {
    defect: "batch-leaves-promotions-out",
    fails: ["products.order-and-duplicates"],
    because: /^milk-001 is answered price 42\.5, in_stock true here but price 42\.5, promo 38\.9, in_stock true when asked alone: match offers to SKUs by "sku", not by position$/m,
  },
  {
    defect: "price-null-when-out-of-stock",
    fails: ["products.non-negative-numbers"],
    // The others read the answer through the schema, which refuses a null price too.
    mayAlsoFail: ["products.out-of-stock", "products.promo-below-price", "products.batch-of-10", "products.order-and-duplicates"],
    because: /^milk-003: "price" is null; send a number ≥ 0 \(not a string\)$/m,
  },
  {
    defect: "products-json-with-trailing-comma",
    fails: ["products.non-negative-numbers", ...PRODUCTS.filter((id) => id !== "products.non-negative-numbers" && id !== "products.latency-p95")],
    because: /^the answer has no "products" array$/m,
    alsoBecause: { "products.shape": /^a products webhook: the body is not JSON$/m },
  },
  {
    defect: "products-database-down-503",
    fails: ["products.non-negative-numbers", ...PRODUCTS.filter((id) => id !== "products.non-negative-numbers")],
    because: /^expected 200, got 503: a products webhook must be answered 200$/m,
    alsoBecause: { "products.latency-p95": /^expected 200, got 503: a products webhook must be answered 200$/m },
  },
  // cart
  {
    defect: "add-answered-201",
    // The parallel adds' answers are read with the cart schema, which names the status.
    fails: ["cart.add-known", "cart.stock-across-shoppers"],
    // Every case that adds checks the status of its add.
    mayAlsoFail: CONTRACT_CASES.map((c) => c.id).filter((id) => !id.startsWith("signature.") && !id.startsWith("products.") && id !== "cart.update-absent" && id !== "cart.remove-absent" && id !== "cart.malformed-bodies" && id !== "cart-get.unknown-session"),
    because: /^expected 200, got 201: a cart webhook must be answered 200$/m,
    alsoBecause: { "cart.stock-across-shoppers": /^expected 200, got 201: a cart webhook must be answered 200$/m },
  },
  { defect: "unknown-sku-accepted", fails: ["cart.add-unknown"], because: /^expected \{"ok":false,"reason":"product_not_found"\}: check the SKU exists in this store before adding it$/m },
  { defect: "missing-sku-answered-missing-params", fails: ["cart.add-missing-sku"], because: /^expected reason "missing_sku", got "missing_params": answer 200 \{"ok":false,"reason":"missing_sku"\} when an add has no sku$/m },
  { defect: "update-of-absent-item-adds-it", fails: ["cart.update-absent"], because: /^expected \{"ok":false,"reason":"not_in_cart"\}: update_quantity must not add an item$/m },
  { defect: "remove-from-unknown-session-answered-ok", fails: ["cart.remove-absent"], because: /^expected \{"ok":false,"reason":"not_in_cart"\}: the session's cart is empty$/m },
  { defect: "remove-zeroes-the-line", fails: ["cart.remove"], because: /^expected \{"ok":false,"reason":"not_in_cart"\}: the item was already removed$/m },
  {
    defect: "remove-finds-no-line",
    fails: ["cart.remove", "cart-get.reflects-remove"],
    because: /^expected \{"ok":true\}: the item was just added$/m,
    alsoBecause: { "cart-get.reflects-remove": /^expected \{"ok":true\}: the item is in the cart$/m },
  },
  {
    defect: "clear-of-full-cart-answered-refused",
    fails: ["cart.clear", "cart.stock-across-shoppers", "cart-get.reflects-clear"],
    because: /^expected \{"ok":true\}: clear empties the cart$/m,
    alsoBecause: { "cart.stock-across-shoppers": /^expected \{"ok":true\}: clear empties the cart$/m, "cart-get.reflects-clear": /^expected \{"ok":true\}: clear empties the cart$/m },
  },
  {
    defect: "exact-stock-refused",
    fails: ["cart.quantity-exceeded", "cart.stock-across-shoppers"],
    because: /^expected \{"ok":true\}: 3 is exactly what is available$/m,
    alsoBecause: {
      "cart.stock-across-shoppers": /^expected \{"ok":true\}: every cart holding milk-002 was cleared, so all 3 must be available again: release reserved stock on clear$/m,
    },
  },
  { defect: "clear-of-empty-cart-refused", fails: ["cart.clear"], because: /^expected \{"ok":true\}: clearing an empty cart is not an error$/m },
  { defect: "quantity-exceeded-answered-out-of-stock", fails: ["cart.quantity-exceeded"], because: /^expected reason "quantity_exceeded", got "out_of_stock": only 3 can be added \(limitedSku\.available\)$/m },
  { defect: "out-of-stock-answered-quantity-exceeded", fails: ["cart.out-of-stock"], because: /^expected reason "out_of_stock", got "quantity_exceeded": nothing of outOfStockSku is left$/m },
  {
    defect: "500-on-malformed-json",
    fails: ["cart.malformed-bodies"],
    // The evidence is the first request that got a 5xx.
    because:
      /^not JSON → 500, empty body → 500: answer 200 \{"ok":false,"reason":"missing_params"\} \(or a 4xx\); a 5xx makes VIZOCHOK retry\n {2}POST \/cart \{not json → 500 \{"error":"SyntaxError: Unexpected token"\}$/m,
  },
  {
    defect: "validation-errors-answered-500",
    fails: ["cart.malformed-bodies", "cart.add-missing-sku"],
    because:
      /^not JSON → 500, empty body → 500, JSON null → 500, a JSON array → 500, no action → 500, unknown action → 500, sku is a number → 500, quantity is a string → 500, negative quantity → 500, no session_id → 500: answer 200 \{"ok":false,"reason":"missing_params"\} \(or a 4xx\); a 5xx makes VIZOCHOK retry$/m,
  },
  {
    defect: "unknown-fields-answered-missing-params",
    fails: ["cart.extra-field"],
    because: /^expected \{"ok":true\}: ignore fields you do not know instead of refusing the request$/m,
  },
  { defect: "unknown-fields-refused", fails: ["cart.extra-field"], because: /^expected 200, got 400: a cart webhook must be answered 200$/m },
  {
    defect: "out-of-stock-answered-sold-out",
    fails: ["cart.stock-across-shoppers", "cart.out-of-stock"],
    because: /^a refused add of the limited SKU must say "quantity_exceeded" or "out_of_stock", not "sold_out"$/m,
  },
  { defect: "stock-checked-per-cart", fails: ["cart.stock-across-shoppers"], because: /^\d+ shoppers were each told 1 × milk-002 was added, but only 3 are available \(limitedSku\.available\): check and reserve stock in one transaction, across every cart$/m },
  { defect: "stock-checked-then-reserved-unlocked", fails: ["cart.stock-across-shoppers"], because: /^\d+ shoppers were each told 1 × milk-002 was added, but only 3 are available \(limitedSku\.available\): check and reserve stock in one transaction, across every cart$/m },
  { defect: "clear-keeps-stock-reserved", fails: ["cart.stock-across-shoppers"], because: /^expected \{"ok":true\}: every cart holding milk-002 was cleared, so all 3 must be available again: release reserved stock on clear$/m },
  { defect: "big-carts-slow", fails: ["cart.latency-p95"], because: /^the cart webhook's p95 latency \d+ ms is over 1000 ms \(VIZOCHOK gives up after 5 s and retries once\): answer from a cache or an index, and keep slow work off the request$/m },
  // cart GET
  {
    defect: "unknown-session-answered-404",
    fails: ["cart-get.unknown-session"],
    // The signature cases and the isolation case read a session that never added anything.
    mayAlsoFail: [...SIGNATURE, "cart-get.sessions-isolated"],
    because: /^expected 200, got 404: a cart GET must be answered 200$/m,
  },
  { defect: "add-ignores-quantity", fails: ["cart-get.reflects-add"], mayAlsoFail: ["cart.quantity-exceeded"], because: /^after adding 2 × milk-001 the cart GET shows milk-001 × 1, expected milk-001 × 2: read the cart from where the cart webhook writes it$/m },
  {
    defect: "cart-get-ignores-adds",
    // Each reads the cart back after its add first.
    fails: ["cart-get.reflects-add", "cart-get.reflects-remove", "cart-get.reflects-clear", "cart-get.latency-p95"],
    mayAlsoFail: [
      "cart-get.reflects-update",
      "cart.extra-field",
      "cart.stock-across-shoppers",
      "reliability.duplicate-delivery",
      "reliability.parallel-adds",
    ],
    because: /^after adding 2 × milk-001 the cart GET shows an empty cart, expected milk-001 × 2: read the cart from where the cart webhook writes it$/m,
    alsoBecause: Object.fromEntries(
      ["cart-get.reflects-remove", "cart-get.reflects-clear", "cart-get.latency-p95"].map((id) => [
        id,
        /^after adding 1 × milk-001 the cart GET shows an empty cart, expected milk-001 × 1: read the cart from where the cart webhook writes it$/m,
      ]),
    ),
  },
  { defect: "update-adds-instead-of-setting", fails: ["cart-get.reflects-update"], because: /^after adding 1 × milk-001 and setting its quantity to 3 the cart GET shows milk-001 × 4, expected milk-001 × 3: read the cart from where the cart webhook writes it$/m },
  { defect: "cart-get-cache-kept-after-remove", fails: ["cart-get.reflects-remove"], because: /^after removing milk-001 the cart GET shows milk-001 × 1, expected an empty cart: read the cart from where the cart webhook writes it$/m },
  { defect: "cart-get-cache-kept-after-clear", fails: ["cart-get.reflects-clear"], because: /^after clear the cart GET shows milk-001 × 1, expected an empty cart: read the cart from where the cart webhook writes it$/m },
  { defect: "cart-get-shows-whole-store", fails: ["cart-get.sessions-isolated"], mayAlsoFail: ["cart.stock-across-shoppers"], because: /^after another session added milk-001 the cart GET shows milk-001 × \d+, expected an empty cart: read the cart from where the cart webhook writes it$/m },
  { defect: "carts-shared-across-stores", fails: ["cart-get.stores-isolated"], because: /^after the same session id added milk-001 in store-1 the cart GET shows milk-001 × 1, expected an empty cart: read the cart from where the cart webhook writes it$/m },
  { defect: "every-10th-cart-get-slow", fails: ["cart-get.latency-p95"], because: /^the cart GET webhook's p95 latency \d+ ms is over 1000 ms \(VIZOCHOK gives up after 5 s and retries once\): answer from a cache or an index, and keep slow work off the request$/m },
  {
    defect: "empty-cart-shows-a-suggestion",
    fails: ["cart-get.unknown-session"],
    // Each of these reads a cart that is, or has become, empty.
    mayAlsoFail: [...SIGNATURE, "cart-get.reflects-remove", "cart-get.reflects-clear", "cart-get.sessions-isolated", "cart-get.stores-isolated"],
    because: /^a session never used has items: answer an empty cart$/m,
  },
  {
    defect: "cart-get-skus-uppercased",
    // Every case that finds its SKU in a cart read back.
    fails: [
      "cart-get.reflects-add",
      "cart-get.reflects-update",
      "cart-get.reflects-remove",
      "cart-get.reflects-clear",
      "cart-get.latency-p95",
      "cart.extra-field",
      "cart.stock-across-shoppers",
      "reliability.duplicate-delivery",
      "reliability.parallel-adds",
    ],
    because: /^after adding 2 × milk-001 the cart GET shows MILK-001 × 2, expected milk-001 × 2: read the cart from where the cart webhook writes it$/m,
    alsoBecause: {
      "cart.stock-across-shoppers": /^this shopper was told 1 × milk-002 was added, but the cart does not hold it$/m,
      "reliability.duplicate-delivery":
        /^two identical adds were answered ok 2 times but the cart holds 0: never answer ok for a change that was not made; an identical request within 1 s of the first, after its answer, is the shopper's new request \(apply it, or answer 409\)$/m,
      "reliability.parallel-adds": /^20 adds answered ok but the cart holds 0: lost updates; make add an atomic increment$/m,
    },
  },
  {
    defect: "cart-get-appends-a-suggestion",
    fails: ["cart-get.reflects-add", ...ids("cart-get").filter((id) => id !== "cart-get.reflects-add")],
    // A rejected request's session reads back with the suggestion in it.
    mayAlsoFail: SIGNATURE,
    because: /^after adding 2 × milk-001 the cart GET shows milk-001 × 2, bread-001 × 1, expected milk-001 × 2: read the cart from where the cart webhook writes it$/m,
  },
  { defect: "500-on-other-store-cart-get", fails: ["cart-get.stores-isolated"], because: /^expected 200, got 500: a cart GET must be answered 200$/m },
  // reliability
  { defect: "replays-double-applied", fails: ["reliability.duplicate-delivery"], because: /^an identical copy sent 1\.5 s after the first answer changed the cart from 2 to 3: it is a re-delivery; answer it from the record \(remember the answer for 300 s, with the first arrival time\)$/m },
  { defect: "identical-add-answered-unapplied", fails: ["reliability.duplicate-delivery"], because: /^two identical adds were answered ok 2 times but the cart holds 1: never answer ok for a change that was not made; an identical request within 1 s of the first, after its answer, is the shopper's new request \(apply it, or answer 409\)$/m },
  { defect: "lost-updates", fails: ["reliability.parallel-adds"], because: /^20 adds answered ok but the cart holds \d+: lost updates; make add an atomic increment$/m },
  { defect: "500-on-concurrent-adds", fails: ["reliability.parallel-adds"], because: /^\d+ of 20 parallel adds failed: serialize writes per cart \(a transaction or a row lock\)$/m },
  {
    defect: "adds-capped-at-10-per-line",
    fails: ["reliability.parallel-adds", "cart.latency-p95"],
    because: /^only 10 of 20 parallel adds of 1 × milk-001 succeeded; inStockSku needs at least 20 in stock$/m,
    alsoBecause: { "cart.latency-p95": /^expected \{"ok":true\}: inStockSku needs at least 20 in stock$/m },
  },
  {
    defect: "slow-first-add-rolled-back",
    // Every case that reads back, or acts on, a session's first add.
    fails: [
      "reliability.duplicate-delivery",
      "reliability.parallel-adds",
      "cart.remove",
      "cart.extra-field",
      "cart.stock-across-shoppers",
      "cart-get.reflects-add",
      "cart-get.reflects-update",
      "cart-get.reflects-remove",
      "cart-get.reflects-clear",
      "cart-get.latency-p95",
    ],
    because: /^the re-delivery was answered ok but the cart holds none of it$/m,
    alsoBecause: {
      "cart.remove": /^expected \{"ok":true\}: the item was just added$/m,
      "cart.extra-field": /^the add was answered ok but the cart does not hold 1 × milk-001$/m,
      "cart-get.reflects-update": /^expected \{"ok":true\}: the item is in the cart$/m,
    },
  },
  { defect: "500-on-identical-copy", fails: ["reliability.duplicate-delivery"], because: /^an identical add right after the first was answered got 500: run it \(a shopper adding the same product again\) or refuse it with 409$/m },
];
