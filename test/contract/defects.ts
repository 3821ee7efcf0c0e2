// Which case must catch which defect. Each broken backend must fail every case in `fails`, and
// nothing outside `fails` and `mayAlsoFail` (anything else would be a false alarm). `because`
// pins the check that fired in the first case of `fails`, so switching that check off fails a test.
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import type { Defect } from "./broken-merchants.js";

export interface DefectExpectation {
  defect: Exclude<Defect, "none">;
  fails: string[];
  mayAlsoFail?: string[];
  because?: RegExp;
}

const ids = (group: string) => CONTRACT_CASES.filter((c) => c.group === group).map((c) => c.id);
/** Every case that reads a cart back after a rejected or an answered add. */
const SIGNATURE = ids("signature");

export const SIGNATURE_DEFECTS: DefectExpectation[] = [
  { defect: "no-signature-check", fails: SIGNATURE },
  { defect: "unsigned-requests-accepted", fails: ["signature.unsigned"] },
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
  { defect: "single-sku-answered-out-of-stock", fails: ["products.shape"], mayAlsoFail: ["products.order-and-duplicates"] },
  { defect: "unrequested-skus-returned", fails: ["products.only-requested"], mayAlsoFail: ["products.batch-of-10"], because: /were not requested/ },
  { defect: "sku-answered-twice", fails: ["products.only-requested"], mayAlsoFail: ["products.batch-of-10"], because: /appears twice/ },
  { defect: "unknown-sku-offered", fails: ["products.unknown-sku"] },
  { defect: "out-of-stock-offered", fails: ["products.out-of-stock"] },
  {
    defect: "negative-price-for-no-stock",
    fails: ["products.non-negative-numbers"],
    // The others read the answer through the schema, which refuses a negative price too.
    mayAlsoFail: ["products.out-of-stock", "products.promo-below-price", "products.batch-of-10", "products.order-and-duplicates"],
    because: /"price" is -1/,
  },
  { defect: "promo-price-equal-to-price", fails: ["products.promo-below-price"] },
  { defect: "batch-over-8-refused", fails: ["products.batch-of-10"] },
  { defect: "offers-matched-by-position", fails: ["products.order-and-duplicates"] },
  { defect: "500-on-repeated-skus", fails: ["products.order-and-duplicates"] },
  { defect: "every-10th-products-call-slow", fails: ["products.latency-p95"] },
  // cart
  {
    defect: "add-answered-201",
    fails: ["cart.add-known"],
    // Every case that adds checks the status of its add.
    mayAlsoFail: CONTRACT_CASES.map((c) => c.id).filter((id) => !id.startsWith("signature.") && !id.startsWith("products.") && id !== "cart.update-absent" && id !== "cart.remove-absent" && id !== "cart.malformed-bodies" && id !== "cart-get.unknown-session"),
    because: /expected 200, got 201/,
  },
  { defect: "unknown-sku-accepted", fails: ["cart.add-unknown"] },
  { defect: "missing-sku-answered-missing-params", fails: ["cart.add-missing-sku"] },
  { defect: "update-of-absent-item-adds-it", fails: ["cart.update-absent"] },
  { defect: "remove-from-unknown-session-answered-ok", fails: ["cart.remove-absent"] },
  { defect: "remove-zeroes-the-line", fails: ["cart.remove"] },
  { defect: "clear-of-empty-cart-refused", fails: ["cart.clear"] },
  { defect: "quantity-exceeded-answered-out-of-stock", fails: ["cart.quantity-exceeded"] },
  { defect: "out-of-stock-answered-quantity-exceeded", fails: ["cart.out-of-stock"] },
  { defect: "500-on-malformed-json", fails: ["cart.malformed-bodies"] },
  { defect: "unknown-fields-refused", fails: ["cart.extra-field"] },
  { defect: "stock-checked-per-cart", fails: ["cart.stock-across-shoppers"], because: /only 3 are available/ },
  { defect: "stock-checked-then-reserved-unlocked", fails: ["cart.stock-across-shoppers"], because: /only 3 are available/ },
  { defect: "clear-keeps-stock-reserved", fails: ["cart.stock-across-shoppers"], because: /release reserved stock on clear/ },
  { defect: "big-carts-slow", fails: ["cart.latency-p95"] },
  // cart GET
  {
    defect: "unknown-session-answered-404",
    fails: ["cart-get.unknown-session"],
    // The signature cases and the isolation case read a session that never added anything.
    mayAlsoFail: [...SIGNATURE, "cart-get.sessions-isolated"],
  },
  { defect: "add-ignores-quantity", fails: ["cart-get.reflects-add"], mayAlsoFail: ["cart.quantity-exceeded"] },
  {
    defect: "cart-get-ignores-adds",
    fails: ["cart-get.reflects-add"],
    mayAlsoFail: [
      "cart-get.reflects-update",
      "cart-get.reflects-remove",
      "cart-get.reflects-clear",
      "cart-get.latency-p95",
      "cart.extra-field",
      "cart.stock-across-shoppers",
      "reliability.duplicate-delivery",
      "reliability.parallel-adds",
    ],
  },
  { defect: "update-adds-instead-of-setting", fails: ["cart-get.reflects-update"] },
  { defect: "cart-get-cache-kept-after-remove", fails: ["cart-get.reflects-remove"] },
  { defect: "cart-get-cache-kept-after-clear", fails: ["cart-get.reflects-clear"] },
  { defect: "cart-get-shows-whole-store", fails: ["cart-get.sessions-isolated"], mayAlsoFail: ["cart.stock-across-shoppers"] },
  { defect: "carts-shared-across-stores", fails: ["cart-get.stores-isolated"] },
  { defect: "every-10th-cart-get-slow", fails: ["cart-get.latency-p95"] },
  { defect: "500-on-other-store-cart-get", fails: ["cart-get.stores-isolated"], because: /must be answered 200/ },
  // reliability
  { defect: "replays-double-applied", fails: ["reliability.duplicate-delivery"] },
  { defect: "identical-add-answered-unapplied", fails: ["reliability.duplicate-delivery"], because: /never answer ok for a change that was not made/ },
  { defect: "lost-updates", fails: ["reliability.parallel-adds"], because: /lost updates/ },
  { defect: "500-on-identical-copy", fails: ["reliability.duplicate-delivery"], because: /an identical add right after the first was answered got 500: / },
];
