// The live webhook log: every signed call the VIZOCHOK stub made to the store, streamed by the
// demo server as Server-Sent Events.

import { el } from "./format.js";

const MAX_ROWS = 50;

/**
 * Subscribes to `/demo/webhook-log` and prepends one row per delivery.
 * @example createWebhookLog({ body: document.querySelector("#webhook-rows") })
 */
export function createWebhookLog({ body, url = "/demo/webhook-log" }) {
  const source = new EventSource(url);
  source.addEventListener("delivery", (event) => {
    const delivery = JSON.parse(event.data);
    body.prepend(row(delivery));
    while (body.children.length > MAX_ROWS) body.lastElementChild?.remove();
  });
  return { close: () => source.close() };
}

function row(delivery) {
  const ok = delivery.status >= 200 && delivery.status < 300 && !delivery.reason;
  return el(
    "tr",
    { class: ok ? "ok" : "bad", dataset: { kind: delivery.kind } },
    el("td", {}, new Date(delivery.at).toLocaleTimeString()),
    el("td", {}, delivery.kind),
    el("td", {}, delivery.method),
    el("td", {}, delivery.status ?? "—"),
    el("td", {}, `${Math.round(delivery.latency_ms)} ms`),
    el("td", {}, delivery.attempt > 1 ? `retry ${delivery.attempt - 1}` : "1st"),
    el("td", {}, delivery.summary),
  );
}
