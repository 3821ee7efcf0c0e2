// Wires the demo page: configuration from the demo server, the chat client and panel, the
// storefront grid and cart, and the webhook log.

import { createChatClient } from "./chat-client.js";
import { createChatPanel } from "./chat-panel.js";
import { describeError } from "./error-messages.js";
import { formatPrice, formatQuantity } from "./format.js";
import { createProductGrid, createStoreCartPanel, renderCart, sumOf } from "./storefront.js";
import { countUnits } from "./units.js";
import { createWebhookLog } from "./webhook-log.js";

/** The shelf the catalog opens on: the one the suggested prompts ask about. */
const FIRST_SHELF = "Dairy > Milk";

const $ = (selector) => {
  const node = document.querySelector(selector);
  if (!node) throw new Error(`missing ${selector}`);
  return node;
};

const CONNECTION_TEXT = {
  connecting: "Connecting…",
  open: "Online",
  reconnecting: "Reconnecting…",
  closed: "Offline",
};

/** The shopper's id: the widget's `userId`, which is also the store's cart `session_id`. */
function shopperId() {
  const key = "vizochok.demo.user_id";
  let id = localStorage.getItem(key);
  if (!id) {
    // randomUUID exists only in secure contexts; the page may be opened over plain http on a LAN.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = `shopper-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    localStorage.setItem(key, id);
  }
  return id;
}

async function main() {
  const config = await (await fetch("/demo/config.json")).json();
  const userId = shopperId();
  $("#store-name").textContent = config.storeName ?? config.storeId;
  $("#session-id").textContent = userId;

  // With the webhooks going to another backend, this store's cart is not the shopper's cart.
  const storeCartOn = config.storeCart !== false;
  if (!storeCartOn) {
    $("#store-cart-panel").hidden = true;
    $("#cart-agreement").hidden = true;
    const off = $("#store-cart-off");
    off.hidden = false;
    off.textContent =
      `The store's cart panel is off: the assistant's webhooks go to ${config.webhookBaseUrl}, not to this ` +
      "reference store, so its cart is not this shopper's. The assistant's cart below is what that backend confirmed.";
    $("#webhooks-target").textContent = `VIZOCHOK stub → ${config.webhookBaseUrl}`;
  }
  const storeCart = createStoreCartPanel({
    list: $("#store-cart"),
    total: $("#store-cart-total"),
    storeId: config.storeId,
    sessionId: userId,
  });
  let assistantCart = [];

  const client = createChatClient({ url: config.wsUrl, publicKey: config.publicKey, storeId: config.storeId, userId });
  const panel = createChatPanel({
    client,
    log: $("#chat-log"),
    form: $("#chat-form"),
    input: $("#chat-input"),
    status: $("#chat-status"),
    waiting: $("#chat-waiting"),
    suggestions: $("#suggestions"),
    onCartChanged: (change) => showAssistantCart(change.items, change.total),
    onSessionComplete: (summary) => {
      $("#session-summary").textContent = `${summary.item_count} item(s), ${formatPrice(summary.total)}`;
      showAssistantCart(summary.selected_items, summary.total);
    },
    // Where a store would track analytics or open the product page (the widget's onProductClick).
    onProductClick: (product) => {
      const shown = $("#product-click");
      shown.dataset.sku = product.sku;
      shown.textContent = `${product.name} × ${product.quantity}`;
    },
  });

  // The full cart arrives every time: replace the page's copy, never apply the delta.
  function showAssistantCart(items, total) {
    assistantCart = items;
    renderCart($("#assistant-cart"), assistantCart);
    $("#assistant-cart-total").textContent = formatPrice(total ?? sumOf(assistantCart));
    const units = countUnits(assistantCart);
    $("#cart-badge").textContent = String(units);
    $("#cart-badge").dataset.count = String(units);
    if (storeCartOn) void compareCarts();
  }

  async function compareCarts() {
    const agreement = $("#cart-agreement");
    try {
      const store = await storeCart.refresh();
      if (!store) return;
      const same = sameLines(store.items, assistantCart);
      agreement.dataset.agree = String(same);
      agreement.textContent = same
        ? "✓ The assistant's cart and the store's cart agree."
        : "✗ The assistant's cart differs from the store's cart.";
    } catch (error) {
      agreement.dataset.agree = "unknown";
      agreement.textContent = `Couldn't read the store's cart: ${error.message}`;
    }
  }

  client.onStateChange = (state) => {
    const indicator = $("#connection");
    indicator.dataset.state = state;
    indicator.textContent = CONNECTION_TEXT[state] ?? state;
  };
  client.onError = (error) => panel.showError(error);

  createProductGrid({
    grid: $("#product-grid"),
    form: $("#search-form"),
    input: $("#search-input"),
    scope: $("#catalog-scope"),
    storeId: config.storeId,
    onAdd: (item) => {
      const quantity = item.min_quantity ?? item.quantity_step ?? 1;
      if (client.sendAction("add_to_cart", { sku: item.sku, quantity }, `Add ${item.name} ${formatQuantity(quantity, item.unit)}`)) {
        panel.appendSystem(`You asked the assistant to add ${item.name}.`);
      }
    },
  })
    .load({ category: FIRST_SHELF })
    .catch(() => {});

  for (const button of document.querySelectorAll("#suggestions [data-prompt]")) {
    button.addEventListener("click", () => {
      $("#chat-input").value = button.dataset.prompt;
      $("#chat-form").requestSubmit();
    });
  }

  $("#new-conversation").addEventListener("click", () => {
    client.close();
    client.forgetConversation();
    $("#chat-log").replaceChildren();
    client.connect();
  });

  createWebhookLog({ body: $("#webhook-rows") });
  client.connect();
  if (storeCartOn) await storeCart.refresh();
}

function sameLines(a, b) {
  const key = (items) =>
    items
      .map((item) => `${item.sku}:${Math.round(item.quantity * 1000)}`)
      .sort()
      .join(",");
  return key(a) === key(b);
}

main().catch((error) => {
  const log = document.querySelector("#chat-log");
  if (log) log.textContent = describeError({ code: "ws_error", message: error.message });
  console.error(error);
});
