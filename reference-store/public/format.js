// Number and DOM helpers shared by the panels.

/**
 * Hryvnia with a decimal comma. Written out rather than `Intl` so every browser (and the test)
 * shows the same text.
 * @example formatPrice(42.5) // "42,50 грн"
 */
export function formatPrice(value) {
  return typeof value === "number" ? `${value.toFixed(2).replace(".", ",")} грн` : "—";
}

/** Quantities by weight keep one decimal; pieces are whole. @example formatQuantity(0.5, "kg") // "0.5 kg" */
export function formatQuantity(quantity, unit) {
  const rounded = Math.round(quantity * 1000) / 1000;
  return unit && unit !== "pcs" ? `${rounded} ${unit}` : `× ${rounded}`;
}

/**
 * An amount with its unit, for lists: "0.5 kg", "1 pc", "2 pcs"; the bare number when the unit is unknown.
 * @example formatAmount(0.5, "kg") // "0.5 kg"
 */
export function formatAmount(quantity, unit) {
  const rounded = Math.round(quantity * 1000) / 1000;
  if (!unit) return String(rounded);
  if (unit === "pcs") return rounded === 1 ? "1 pc" : `${rounded} pcs`;
  return `${rounded} ${unit}`;
}

/** The effective unit price: the promo when there is one. */
export function effectivePrice(item) {
  return typeof item.promo_price === "number" ? item.promo_price : item.price;
}

/**
 * Creates an element with attributes and children; strings become text nodes, so nothing from
 * the network is ever parsed as HTML.
 * @example el("button", { type: "button", onclick: add }, "Add")
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
