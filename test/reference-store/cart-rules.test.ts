// The store's quantity, limit, stock and price rules at their exact edges, with the reasons the
// agent reads.
import { describe, expect, it } from "vitest";
import { lineReason, samePrice, stepReason, stockReason, type ProductRules } from "../../reference-store/cart-rules.js";
import { fromMilli, roundMoney, toMilli } from "../../reference-store/quantity.js";

const cheese: ProductRules = { unit: "kg", quantity_step_milli: 250, min_quantity_milli: 500, max_per_customer_milli: 2000 };
const milk: ProductRules = { unit: "pcs", quantity_step_milli: 1000, min_quantity_milli: 1000, max_per_customer_milli: null };

describe("stepReason()", () => {
  it("accepts whole steps and names the step for anything else, zero and negatives included", () => {
    expect([250, 500, 2750].map((q) => stepReason(cheese, q))).toEqual([undefined, undefined, undefined]);
    expect([0, -250, 100, 251, undefined].map((q) => stepReason(cheese, q))).toEqual(Array(5).fill("not_multiple_of_0.25_kg"));
  });
});

describe("lineReason()", () => {
  it("accepts a line exactly at the minimum and exactly at the per-customer limit", () => {
    expect([lineReason(cheese, 500), lineReason(cheese, 2000)]).toEqual([undefined, undefined]);
  });

  it("refuses one step below the minimum and one step over the limit, naming the number", () => {
    expect([lineReason(cheese, 250), lineReason(cheese, 2250)]).toEqual(["below_minimum_0.5_kg", "max_2_per_customer"]);
  });

  it("has no upper limit where the product sets none", () => {
    expect(lineReason(milk, 1_000_000)).toBeUndefined();
  });
});

describe("stockReason()", () => {
  it("out_of_stock when nothing is left, quantity_exceeded when more is wanted than is left", () => {
    expect([stockReason(0, 1000), stockReason(-500, 1000), stockReason(999, 1000)]).toEqual(["out_of_stock", "out_of_stock", "quantity_exceeded"]);
  });

  it("the last units go to whoever asks for exactly them", () => {
    expect([stockReason(1000, 1000), stockReason(1, 1)]).toEqual([undefined, undefined]);
  });
});

describe("samePrice()", () => {
  it("the same to the kopiyka, whatever the floating-point noise; a kopiyka apart is another price", () => {
    expect(samePrice(38.9, 38.900000000000006)).toBe(true);
    expect(samePrice(38.9, 38.904)).toBe(true);
    expect([samePrice(38.9, 38.91), samePrice(38.91, 38.9), samePrice(38.9, 38.89)]).toEqual([false, false, false]);
    // Exactly half a kopiyka apart is already another price.
    expect(samePrice(0.005, 0)).toBe(false);
  });
});

describe("quantities in thousandths", () => {
  it("stores up to three decimals exactly and refuses a fourth", () => {
    expect([toMilli(1), toMilli(1.5), toMilli(0.001), toMilli(2.675)]).toEqual([1000, 1500, 1, 2675]);
    expect([toMilli(1.0005), toMilli(0.0001)]).toEqual([undefined, undefined]);
    expect([fromMilli(1500), fromMilli(1)]).toEqual([1.5, 0.001]);
  });

  it("rounds money to kopiykas as a shopper sees it", () => {
    expect([roundMoney(12.345), roundMoney(0.1 + 0.2), roundMoney(3.999)]).toEqual([12.35, 0.3, 4]);
  });
});
