// The scripted agent's words for each outcome, kept apart from its decisions.
import type { Product } from "../../schemas.js";

export function formatPrice(value: number): string {
  return `${value.toFixed(2)} ₴`;
}

export function formatQuantity(quantity: number, unit: string | undefined): string {
  return unit === "kg" ? `${quantity} kg` : `${quantity} ×`;
}

/** `max_3_per_customer` → "max 3 per customer". */
export function humanizeReason(reason: string): string {
  return reason.replace(/[_-]+/g, " ").trim();
}

export function rejectionText(reason: string, name: string, quantity: number | undefined): string {
  switch (reason) {
    case "out_of_stock":
      return `Sorry, ${name} is out of stock.`;
    case "quantity_exceeded":
      return `The store can't add ${quantity ?? "that many"} of ${name}: that is more than it allows or has in stock.`;
    case "product_not_found":
      return `The store doesn't have ${name}. Shall I search again?`;
    case "not_in_cart":
      return `${name} is not in your cart, so there was nothing to change.`;
    case "webhook_timeout":
      return `The store did not answer in time, so your cart was not changed. Please try again in a moment.`;
    case "webhook_error":
      return `The store could not update your cart right now, so nothing changed. Please try again.`;
    case "missing_sku":
    case "missing_params":
      return `The store said the request for ${name} was incomplete (${reason}), so nothing changed.`;
    default:
      return `The store did not accept ${name}: ${humanizeReason(reason)}.`;
  }
}

/** A lower quantity worth offering after `quantity_exceeded`: the product's own limit if known. */
export function lowerQuantity(product: Product | undefined, asked: number): number {
  const step = product?.quantity_step ?? 1;
  const limit = product?.attributes?.max_per_customer;
  if (typeof limit === "number" && limit > 0 && limit < asked) return limit;
  const half = Math.floor(asked / 2 / step) * step;
  return Math.max(step, Math.round(half * 1000) / 1000);
}

export function leafCategory(path: string | undefined): string {
  return path?.split(">").pop()?.trim().toLowerCase() ?? "this category";
}
