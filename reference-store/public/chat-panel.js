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
 * Wires the chat panel's DOM to a chat client. The tab's saved history is shown first; after a
 * reload the interactive frames still open (`session_restored.pending_tools`) are drawn again.
 * `onProductClick(card)` fires when the shopper clicks Add on a card, before the action is sent.
 * While the assistant answers, the message box (`form` and the `suggestions` buttons) is disabled,
 * as the widget enables input on `response_complete`; taps on cards and replies wait in the
 * client's queue and `waiting` lists them until they go out.
 * @example createChatPanel({ client, log, form, input, status, waiting, suggestions, onCartChanged, onSessionComplete, onProductClick })
 */
export function createChatPanel({
  client,
  log,
  form,
  input,
  status,
  waiting,
  suggestions,
  onCartChanged,
  onSessionComplete,
  onProductClick = () => {},
}) {
  let bubble = null;
  let refocus = false;
  for (const entry of client.history) replay(entry);
  client.onTurnChange = showTurn;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    // A suggestion submits the form from code; the disabled box does not stop that.
    if (!text || client.busy) return;
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
        appendSystem(`Conversation restored — ${frame.selected_items.length} item(s) in your cart.`, false);
        onSessionComplete({
          selected_items: frame.selected_items,
          total: frame.total,
          item_count: frame.selected_items.length,
        });
        for (const tool of frame.pending_tools ?? []) renderTool(tool);
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
        if (bubble) {
          bubble.removeAttribute("aria-busy");
          client.recordMessage({ role: "agent", text: bubble.textContent });
        }
        bubble = null;
        return;
      case "product_cards":
        client.recordMessage({ role: "cards", items: frame.items });
        append(cards(frame.items));
        return;
      case "quick_replies":
      case "ingredient_checklist":
      case "meal_plan":
        renderTool(frame);
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

  function renderTool(frame) {
    if (frame.type === "quick_replies") append(quickReplies(frame.options));
    else if (frame.type === "ingredient_checklist") append(checklist(frame));
    else if (frame.type === "meal_plan") append(mealPlan(frame));
  }

  /** Draws one saved history entry, without saving it again. */
  function replay(entry) {
    if (entry.role === "user") append(el("p", { class: "msg msg-user" }, entry.text));
    else if (entry.role === "agent") append(el("p", { class: "msg msg-agent" }, entry.text));
    else if (entry.role === "system") append(el("p", { class: "msg msg-system" }, entry.text));
    else if (entry.role === "cards" && Array.isArray(entry.items)) append(cards(entry.items));
  }

  function cards(items) {
    return el("ul", { class: "cards", "aria-label": "Products" }, items.map(productCard));
  }

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
          onclick: () => {
            const chosen = Number(quantity.value);
            // The widget's onProductClick: informational, before the action; the cart changes on cart_changed.
            onProductClick({ ...item, quantity: chosen });
            // A second tap while the assistant answers the first waits its turn: both are sent.
            client.sendAction("add_to_cart", { sku: item.sku, quantity: chosen }, `Add ${item.name} ${formatQuantity(chosen, item.unit)}`);
          },
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
              if (!client.sendAction("quick_reply", { value: option.value }, `“${option.label}”`)) return;
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
      const label = `Add ${skus.length} selected ingredient(s)`;
      if (skus.length === 0 || !client.sendAction("checklist_submit", { skus }, label)) return;
      appendUser(label);
      for (const control of form.querySelectorAll("input, button")) control.disabled = true;
    });
    return form;
  }

  function mealPlan(frame) {
    const days = frame.days.map((day) =>
      el(
        "li",
        { class: "plan-day" },
        el("strong", {}, `Day ${day.day}`),
        el(
          "ul",
          {},
          day.meals.map((meal) =>
            el(
              "li",
              { class: "plan-meal" },
              `${meal.name}: ${meal.recipe ?? ""} — `,
              meal.items.map((item) => `${item.name}${item.quantity ? ` (${formatQuantity(item.quantity)})` : ""}${item.sku ? "" : " — not sold here"}`).join(", "),
            ),
          ),
        ),
      ),
    );
    const change = el("input", { type: "text", class: "plan-change", placeholder: "e.g. no pork", "aria-label": "What to change in the plan" });
    const approve = el("button", { type: "button", class: "plan-approve" }, "Approve and add to cart");
    const form = el(
      "form",
      { class: "meal-plan", "aria-label": frame.title },
      el("fieldset", {}, el("legend", {}, frame.title), el("ol", { class: "plan-days" }, days)),
      approve,
      " ",
      change,
      " ",
      el("button", { type: "submit", class: "plan-modify" }, "Change the plan"),
    );
    const done = (label) => {
      appendUser(label);
      for (const control of form.querySelectorAll("input, button")) control.disabled = true;
    };
    approve.addEventListener("click", () => {
      if (client.sendAction("meal_plan_approve", {}, "Approve the meal plan")) done("Approve the meal plan");
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = change.value.trim();
      if (text && client.sendAction("meal_plan_modify", { text }, `“${text}”`)) done(text);
    });
    return form;
  }

  function eventText(frame) {
    const verb = EVENT_TEXT[frame.event] ?? frame.event;
    if (frame.event === "cart_cleared") return verb;
    // The event's quantity is the product's new quantity in the cart.
    const quantity =
      frame.event !== "item_removed" && typeof frame.quantity === "number" ? ` — ${formatQuantity(frame.quantity, unitOf(frame.sku))} in the cart` : "";
    return `${verb}: ${frame.name ?? frame.sku}${quantity}`;
  }

  /** While a turn runs the message box is off; what waits for the next turn is listed. */
  function showTurn({ busy, waiting: labels }) {
    if (busy && document.activeElement === input) refocus = true;
    for (const control of [...form.elements, ...(suggestions?.querySelectorAll("button") ?? [])]) control.disabled = busy;
    if (!busy && refocus) {
      refocus = false;
      input.focus();
    }
    if (!waiting) return;
    waiting.textContent = labels.length > 0 ? `Waiting for the assistant to finish: ${labels.join("; ")}.` : "";
    waiting.hidden = labels.length === 0;
    waiting.dataset.count = String(labels.length);
  }

  function showStatus(text) {
    status.textContent = text ?? "";
    status.hidden = !text;
  }

  function appendUser(text) {
    bubble = null;
    client.recordMessage({ role: "user", text });
    append(el("p", { class: "msg msg-user" }, text));
  }

  function appendSystem(text, keep = true) {
    if (keep) client.recordMessage({ role: "system", text });
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
