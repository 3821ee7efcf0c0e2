import { fromMilli } from "./quantity.js";

/** What the rules need to know about a product in one store; quantities in thousandths. */
export interface ProductRules {
  unit: string;
  quantity_step_milli: number;
  min_quantity_milli: number;
  max_per_customer_milli: number | null;
}

/**
 * Store-specific reasons, read by the agent as written: each names the rule and the number the
 * shopper has to respect.
 */
export const reasons = {
  notMultipleOf: (p: ProductRules) => `not_multiple_of_${fromMilli(p.quantity_step_milli)}_${p.unit}`,
  belowMinimum: (p: ProductRules) => `below_minimum_${fromMilli(p.min_quantity_milli)}_${p.unit}`,
  maxPerCustomer: (limitMilli: number) => `max_${fromMilli(limitMilli)}_per_customer`,
  priceChanged: "price_changed",
} as const;

/** A quantity the shopper asked for: a whole number of steps. `undefined` = acceptable. */
export function stepReason(product: ProductRules, quantityMilli: number | undefined): string | undefined {
  if (quantityMilli === undefined || quantityMilli <= 0 || quantityMilli % product.quantity_step_milli !== 0) {
    return reasons.notMultipleOf(product);
  }
  return undefined;
}

/** The quantity a cart line would end up with: at least the minimum, at most the per-customer limit. */
export function lineReason(product: ProductRules, lineMilli: number): string | undefined {
  if (lineMilli < product.min_quantity_milli) return reasons.belowMinimum(product);
  const limit = product.max_per_customer_milli;
  if (limit !== null && lineMilli > limit) return reasons.maxPerCustomer(limit);
  return undefined;
}

/** Whether `wantedMilli` more can be reserved from what is left on the shelf. */
export function stockReason(availableMilli: number, wantedMilli: number): "out_of_stock" | "quantity_exceeded" | undefined {
  if (availableMilli <= 0) return "out_of_stock";
  if (wantedMilli > availableMilli) return "quantity_exceeded";
  return undefined;
}

/** Prices are compared to the kopiyka: the agent may have seen 38.9 as 38.900000000000006. */
export function samePrice(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.005;
}
