// The chat panel: renders every server frame the widget can receive and turns clicks into
// protocol actions. It talks to the network only through the chat client.

import { describeError } from "./error-messages.js";
import { el, formatAmount, formatPrice, formatQuantity } from "./format.js";
import { rememberUnit, unitOf } from "./units.js";

const STATUS_TEXT = {
  searching: "Searching the catalog…",
  checking_prices: "Checking prices with the store…",
  updating_cart: "Updating the store's cart…",
};

const EVENT_TEXT = {
  item_selected: "Added",
  item_removed: "Removed",
  quantity_updated: "Quantity updated",
  cart_cleared: "Cart cleared",
};

/**
 * Wires the chat panel's DOM to a chat client.
 * @example createChatPanel({ client, log, form, input, status, onCartChanged, onSessionComplete })
 */
export function createChatPanel({ client, log, form, input, status, onCartChanged, onSessionComplete }) {
  let bubble = null;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (client.sendMessage(text)) {
      appendUser(text);
      input.value = "";
    }
  });

  client.onFrame = (frame) => {
    switch (frame.type) {
      case "auth_ok":
      case "conversation_started":
        return;
      case "session_restored":
        appendSystem(`Conversation restored — ${frame.selected_items.length} item(s) in your cart.`);
        onSessionComplete({
          selected_items: frame.selected_items,
          total: frame.total,
          item_count: frame.selected_items.length,
        });
        return;
      case "status":
        showStatus(STATUS_TEXT[frame.code] ?? frame.code);
        return;
      case "text_delta":
        showStatus(null);
        if (!bubble) bubble = append(el("p", { class: "msg msg-agent", "aria-busy": "true" }));
        bubble.textContent += frame.delta;
        scroll();
        return;
      case "text_end":
        bubble?.removeAttribute("aria-busy");
        bubble = null;
        return;
      case "product_cards":
        append(el("ul", { class: "cards", "aria-label": "Products" }, frame.items.map(productCard)));
        return;
      case "quick_replies":
        append(quickReplies(frame.options));
        return;
      case "ingredient_checklist":
        append(checklist(frame));
        return;
      case "event":
        appendSystem(eventText(frame));
        return;
      case "cart_changed":
        onCartChanged(frame);
        return;
      case "response_complete":
        showStatus(null);
        onSessionComplete(frame.session_summary);
        return;
      case "error":
        showError(frame);
        return;
      default:
        return;
    }
  };

  function showError(error) {
    showStatus(null);
    bubble = null;
    append(el("p", { class: "msg msg-error", role: "alert", dataset: { code: error.code } }, describeError(error)));
  }

  function productCard(item) {
    rememberUnit(item.sku, item.unit);
    const step = item.quantity_step > 0 ? item.quantity_step : 1;
    const quantity = el("input", {
      type: "number",
      class: "qty",
      min: step,
      step,
      value: item.quantity ?? step,
      "aria-label": `Quantity of ${item.name}`,
    });
    const change = (direction) => {
      const next = Math.max(step, Number(quantity.value) + direction * step);
      quantity.value = String(Math.round(next * 1000) / 1000);
    };
    const hasPromo = typeof item.promo_price === "number";
    return el(
      "li",
      { class: "card", dataset: { sku: item.sku } },
      el("span", { class: "thumb", "aria-hidden": "true" }, item.name.slice(0, 1)),
      el("strong", { class: "card-name" }, item.name),
      item.brand ? el("span", { class: "brand" }, item.brand) : null,
      el(
        "span",
        { class: "price" },
        hasPromo ? el("s", {}, formatPrice(item.price)) : null,
        " ",
        el("b", { class: "price-now" }, formatPrice(hasPromo ? item.promo_price : item.price)),
        ` / ${item.unit ?? "pcs"}`,
      ),
      hasPromo && item.promo_label ? el("span", { class: "promo" }, item.promo_label) : null,
      el(
        "span",
        { class: "stepper" },
        el("button", { type: "button", "aria-label": `Less ${item.name}`, onclick: () => change(-1) }, "−"),
        quantity,
        el("button", { type: "button", "aria-label": `More ${item.name}`, onclick: () => change(1) }, "+"),
      ),
      el(
        "button",
        {
          type: "button",
          class: "add",
          "aria-label": `Add ${item.name}`,
          onclick: () => client.sendAction("add_to_cart", { sku: item.sku, quantity: Number(quantity.value) }),
        },
        "Add",
      ),
    );
  }

  function quickReplies(options) {
    const group = el("div", { class: "pills", role: "group", "aria-label": "Suggested replies" });
    for (const option of options) {
      group.append(
        el(
          "button",
          {
            type: "button",
            class: "pill",
            onclick: () => {
              if (!client.sendAction("quick_reply", { value: option.value })) return;
              appendUser(option.label);
              for (const button of group.querySelectorAll("button")) button.disabled = true;
            },
          },
          option.label,
        ),
      );
    }
    return group;
  }

  function checklist(frame) {
    const boxes = frame.items.map((item, index) => {
      rememberUnit(item.sku, item.unit);
      const id = `check-${Date.now()}-${index}`;
      const box = el("input", {
        type: "checkbox",
        id,
        value: item.sku ?? "",
        checked: item.checked && Boolean(item.sku),
        disabled: !item.sku,
      });
      const label = el(
        "label",
        { for: id },
        item.name,
        item.quantity ? ` (${formatAmount(item.quantity, item.unit ?? unitOf(item.sku))})` : "",
        item.sku ? "" : " — not sold here",
      );
      return el("li", {}, box, " ", label);
    });
    const form = el(
      "form",
      { class: "checklist" },
      el("fieldset", {}, el("legend", {}, frame.title), el("ul", {}, boxes)),
      el("button", { type: "submit" }, "Add selected"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const skus = [...form.querySelectorAll("input:checked")].map((box) => box.value).filter(Boolean);
      if (skus.length === 0 || !client.sendAction("checklist_submit", { skus })) return;
      appendUser(`Add ${skus.length} selected ingredient(s)`);
      for (const control of form.querySelectorAll("input, button")) control.disabled = true;
    });
    return form;
  }

  function eventText(frame) {
    const verb = EVENT_TEXT[frame.event] ?? frame.event;
    if (frame.event === "cart_cleared") return verb;
    const quantity = typeof frame.quantity === "number" ? ` ${formatQuantity(frame.quantity, unitOf(frame.sku))}` : "";
    return `${verb}: ${frame.name ?? frame.sku}${quantity}`;
  }

  function showStatus(text) {
    status.textContent = text ?? "";
    status.hidden = !text;
  }

  function appendUser(text) {
    bubble = null;
    append(el("p", { class: "msg msg-user" }, text));
  }

  function appendSystem(text) {
    append(el("p", { class: "msg msg-system" }, text));
  }

  function append(node) {
    log.append(node);
    scroll();
    return node;
  }

  function scroll() {
    log.scrollTop = log.scrollHeight;
  }

  return { showError, appendSystem };
}
