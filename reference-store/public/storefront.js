// The storefront's own side: the product grid and the cart panel, both read from the store's
// JSON API — the same database the webhooks answer from.

import { effectivePrice, el, formatPrice, formatQuantity } from "./format.js";
import { rememberUnit, unitOf } from "./units.js";

/** Items from a list answer, whether it is `[…]`, `{items: […]}` or `{products: […]}`. */
function listOf(body) {
  if (Array.isArray(body)) return body;
  return body?.items ?? body?.products ?? [];
}

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/**
 * The product grid: searches `GET /api/products` and offers "Ask the assistant to add".
 * `load({ category })` shows one shelf, with a button back to everything in `scope`.
 * @example createProductGrid({ grid, form, input, scope, storeId: "store-1", onAdd })
 */
export function createProductGrid({ grid, form, input, scope, storeId, onAdd }) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load({ query: input.value.trim() });
  });

  async function load({ query = "", category = "" } = {}) {
    const params = new URLSearchParams({ store_id: storeId, limit: "24" });
    if (query) params.set("q", query);
    if (category) params.set("category", category);
    showScope(query, category);
    grid.setAttribute("aria-busy", "true");
    try {
      const items = listOf(await getJson(`/api/products?${params}`));
      grid.replaceChildren(...items.map(tile));
      if (items.length === 0) grid.append(el("li", { class: "empty" }, "Nothing found."));
    } catch (error) {
      grid.replaceChildren(el("li", { class: "empty", role: "alert" }, `Couldn't load products: ${error.message}`));
    } finally {
      grid.removeAttribute("aria-busy");
    }
  }

  function showScope(query, category) {
    if (!scope) return;
    const label = query ? `Results for “${query}”` : category ? `Shelf: ${category}` : "All products";
    const all = el("button", { type: "button", class: "link", onclick: () => ((input.value = ""), void load()) }, "show all products");
    scope.replaceChildren(label, query || category ? " — " : "", query || category ? all : "");
  }

  function tile(item) {
    rememberUnit(item.sku, item.unit);
    const inStock = item.in_stock !== false;
    const hasPromo = typeof item.promo_price === "number";
    return el(
      "li",
      { class: `tile${inStock ? "" : " tile-out"}`, dataset: { sku: item.sku } },
      el("strong", {}, item.name),
      item.brand ? el("span", { class: "brand" }, item.brand) : null,
      el(
        "span",
        { class: "price" },
        hasPromo ? el("s", {}, formatPrice(item.price)) : null,
        " ",
        el("b", {}, formatPrice(effectivePrice(item))),
        ` / ${item.unit ?? "pcs"}`,
      ),
      hasPromo && item.promo_label ? el("span", { class: "promo" }, item.promo_label) : null,
      el(
        "button",
        {
          type: "button",
          disabled: !inStock,
          "aria-label": `Ask the assistant to add ${item.name}`,
          onclick: () => onAdd(item),
        },
        inStock ? "Add via assistant" : "Out of stock",
      ),
    );
  }

  return { load };
}

/**
 * The store's authoritative cart for this shopper, from `GET /api/cart`.
 * @example const panel = createStoreCartPanel({ list, total, storeId, sessionId }); await panel.refresh();
 */
export function createStoreCartPanel({ list, total, storeId, sessionId }) {
  let generation = 0;

  async function refresh() {
    const mine = ++generation;
    const params = new URLSearchParams({ store_id: storeId, session_id: sessionId });
    const body = await getJson(`/api/cart?${params}`);
    // A slower earlier read must not overwrite a newer one.
    if (mine !== generation) return null;
    const items = listOf(body);
    renderCart(list, items);
    const sum = typeof body.total === "number" ? body.total : sumOf(items);
    total.textContent = formatPrice(sum);
    return { items, total: sum };
  }

  return { refresh };
}

/** Renders cart lines (the store's or the assistant's — both use the CartItem shape). */
export function renderCart(list, items) {
  list.replaceChildren(
    ...items.map((item) => {
      rememberUnit(item.sku, item.unit);
      return el(
        "li",
        { dataset: { sku: item.sku, quantity: String(item.quantity) } },
        el("span", { class: "line-name" }, item.name),
        el("span", { class: "line-qty" }, formatQuantity(item.quantity, item.unit ?? unitOf(item.sku))),
        el("span", { class: "line-price" }, formatPrice(effectivePrice(item) * item.quantity)),
      );
    }),
  );
  if (items.length === 0) list.append(el("li", { class: "empty" }, "Empty"));
}

/** Sum of effective price × quantity, rounded to kopecks. */
export function sumOf(items) {
  return Math.round(items.reduce((sum, item) => sum + effectivePrice(item) * item.quantity, 0) * 100) / 100;
}
