// What the page knows about each product's unit, from every card, tile, checklist and store cart
// it has shown: the assistant's cart lines (CartItem) carry no unit of their own.

const known = new Map();

/** Remembers a product's unit ("kg", "pcs", "pack"). */
export function rememberUnit(sku, unit) {
  if (sku && unit) known.set(sku, unit);
}

/** The unit last seen for a SKU, or `undefined`. */
export function unitOf(sku) {
  return known.get(sku);
}

const COUNTED = new Set(["pcs", "pc", "pack", "шт"]);

/**
 * Units in a cart, as the widget docs' badge counts them (the sum of quantities), except that a
 * line sold by weight or volume is one unit: 0.5 kg of beetroot is one thing in the bag.
 * @example countUnits([{ sku: "milk-001", quantity: 2 }, { sku: "veg-004", quantity: 0.5 }]) // 3
 */
export function countUnits(items) {
  let count = 0;
  for (const item of items) {
    const unit = item.unit ?? unitOf(item.sku);
    const measured = unit === undefined ? !Number.isInteger(item.quantity) : !COUNTED.has(unit);
    count += measured ? 1 : item.quantity;
  }
  return Math.round(count);
}
