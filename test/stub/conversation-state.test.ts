// What a conversation keeps and what it must not: pending interactive frames, the cart as
// cart_changed reports it, prices only from the products webhook, and the store's answers.
import { afterEach, describe, expect, it } from "vitest";
import type { CartItem, ProductItem, SessionSummary } from "vizochok-merchant-kit";
import type { CartChangedEvent, ServerFrame } from "vizochok-merchant-kit/testing";
import { catalog, startHarness, textOf, type Harness } from "./harness.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const cardsOf = (frames: ServerFrame[]) => frames.flatMap((frame) => (frame.type === "product_cards" ? frame.items : []));
const changesOf = (frames: ServerFrame[]) => frames.filter((frame): frame is CartChangedEvent => frame.type === "cart_changed");
const cartPosts = (h: Harness) => h.stub.deliveries.filter((d) => d.kind === "cart").map((d) => d.request.body as { sku?: string; price?: number });
/** Products and cart calls since `from` (the cart GET of a new conversation runs on its own). */
const callsSince = (h: Harness, from: number) => h.stub.deliveries.slice(from).filter((d) => d.kind !== "cart_get");
const offer = (sku: string) => catalog.offers.find((o) => o.sku === sku && o.store_id === "store-1")!;
const lineSum = (items: CartItem[]) => Math.round(items.reduce((sum, item) => sum + (item.promo_price ?? item.price) * item.quantity, 0) * 100) / 100;

async function reconnect(h: Harness, userId: string, conversationId: string) {
  const frames: ServerFrame[] = [];
  const client = h.client({ userId, conversationId, onFrame: (frame) => frames.push(frame) });
  await client.connect();
  const restored = frames.find((frame) => frame.type === "session_restored") as Extract<ServerFrame, { type: "session_restored" }>;
  return { client, restored };
}

describe("session_restored.pending_tools", () => {
  it("carries the checklist and quick replies still waiting, as first sent; the clients see them again", async () => {
    harness = await startHarness();
    const shopper = harness.client({ userId: "pending" });
    await shopper.connect();
    const checklist = (await shopper.send("borscht")).find((frame) => frame.type === "ingredient_checklist")!;
    const refused = await shopper.send(`add ${offer("milk-002").stock + 2} of milk-002`);
    const replies = refused.find((frame) => frame.type === "quick_replies")!;
    // The quick replies arrived with a new message, which closed the checklist.
    expect(shopper.pendingTools).toEqual([replies]);
    await shopper.close();

    const { client, restored } = await reconnect(harness, "pending", shopper.conversationId!);
    expect(restored.pending_tools).toEqual([replies]);
    expect(client.pendingTools).toEqual([replies]);
    await client.close();
    expect(checklist).toMatchObject({ type: "ingredient_checklist" });
  });

  it("an open checklist is restored until it is submitted; a card tap leaves it open", async () => {
    harness = await startHarness();
    const shopper = harness.client({ userId: "checklist" });
    await shopper.connect();
    const checklist = (await shopper.send("pancakes")).find((frame) => frame.type === "ingredient_checklist")!;
    await shopper.tapAdd("milk-004");
    await shopper.close();

    const back = await reconnect(harness, "checklist", shopper.conversationId!);
    expect(back.restored.pending_tools).toEqual([checklist]);
    await back.client.submitChecklist(["pantry-001"]);
    expect(back.client.pendingTools).toEqual([]);
    await back.client.close();

    const again = await reconnect(harness, "checklist", shopper.conversationId!);
    expect(again.restored.pending_tools).toEqual([]);
  });
});

describe("cart_changed", () => {
  it("quantity is the product's new quantity: 2 after a second add of 1, 0 after item_removed", async () => {
    harness = await startHarness();
    const shopper = harness.client();
    await shopper.connect();
    await shopper.send("show me milk");
    const first = changesOf(await shopper.tapAdd("milk-001", 1))[0]!;
    const second = changesOf(await shopper.tapAdd("milk-001", 1))[0]!;
    expect([first.quantity, second.quantity]).toEqual([1, 2]);
    expect(second.items).toEqual([expect.objectContaining({ sku: "milk-001", quantity: 2 })]);
    const removed = changesOf(await shopper.send("remove milk-001"))[0]!;
    expect(removed).toMatchObject({ action: "item_removed", sku: "milk-001", quantity: 0, items: [] });
  });

  it("total is the sum of the lines; the client's cart, onCartChanged and onSessionComplete keep the full cart", async () => {
    harness = await startHarness();
    const changed: CartChangedEvent[] = [];
    const summaries: SessionSummary[] = [];
    const shopper = harness.client({ onCartChanged: (event) => changed.push(event), onSessionComplete: (summary) => summaries.push(summary) });
    await shopper.connect();
    await shopper.send("add milk-001");
    await shopper.send("add 2 of milk-004");
    await shopper.send("add 3 of snack-001");
    const last = changed.at(-1)!;
    expect(last.items.map((item) => [item.sku, item.quantity])).toEqual([
      ["milk-001", 1],
      ["milk-004", 2],
      ["snack-001", 3],
    ]);
    for (const event of changed) expect(event.total).toBe(lineSum(event.items));
    expect(last.total).toBe(Math.round((offer("milk-001").promo_price! + 2 * offer("milk-004").price + 3 * offer("snack-001").promo_price!) * 100) / 100);
    expect(shopper.cart).toEqual(last.items);
    expect(summaries.at(-1)).toEqual({ selected_items: last.items, total: last.total, item_count: 3 });
  });

  it("a refused change leaves the conversation's cart as it was", async () => {
    harness = await startHarness();
    const shopper = harness.client({ userId: "refused" });
    await shopper.connect();
    await shopper.send("add milk-001");
    const before = shopper.cart;
    const frames = await shopper.send("add 4 of snack-001"); // max 3 per customer
    expect(textOf(frames)).toContain("max 3 per customer");
    expect(changesOf(frames)).toEqual([]);
    const done = frames.at(-1) as Extract<ServerFrame, { type: "response_complete" }>;
    expect(done.session_summary.selected_items).toEqual(before);
    expect(shopper.cart).toEqual(before);
    await shopper.close();
    const { restored } = await reconnect(harness, "refused", shopper.conversationId!);
    expect(restored.selected_items).toEqual(before);
  });
});

describe("prices come only from the products webhook", () => {
  it("a later shopper's typed add asks the products webhook and sends today's price, not one another conversation saw", async () => {
    harness = await startHarness();
    const first = harness.client({ userId: "early" });
    await first.connect();
    const cards = cardsOf(await first.send("show me milk"));
    expect(cards.find((card) => card.sku === "milk-001")?.promo_price).toBe(offer("milk-001").promo_price);

    harness.store.db.prepare("UPDATE prices SET price = 50, promo_price = NULL WHERE store_id = 'store-1' AND sku = 'milk-001'").run();
    const later = harness.client({ userId: "late" });
    await later.connect();
    const before = harness.stub.deliveries.length;
    const frames = await later.send("add milk-001");
    const kinds = callsSince(harness, before).map((d) => d.kind);
    expect(kinds).toEqual(["products", "cart"]);
    expect(cartPosts(harness).at(-1)).toMatchObject({ sku: "milk-001", price: 50 });
    expect(changesOf(frames)[0]).toMatchObject({ sku: "milk-001", price: 50 });
  });

  it("a typed add in the same conversation asks again; a product the webhook no longer returns is not added at the old price", async () => {
    harness = await startHarness();
    const shopper = harness.client();
    await shopper.connect();
    await shopper.send("show me milk");
    harness.intercept.handler = (request, response, next) =>
      request.path === "/api/vizochok/check-products" ? void response.json({ products: [] }) : next();
    const before = harness.stub.deliveries.length;
    const frames = await shopper.send("add milk-001");
    expect(callsSince(harness, before).map((d) => d.kind)).toEqual(["products"]);
    expect(changesOf(frames)).toEqual([]);
    expect(textOf(frames)).toContain("doesn't have");
    expect(cartPosts(harness)).toEqual([]);
  });

  it("a tap on a card adds at the price that card showed, without asking again", async () => {
    harness = await startHarness();
    const shopper = harness.client();
    await shopper.connect();
    const card = cardsOf(await shopper.send("show me milk")).find((item) => item.sku === "milk-001")!;
    const before = harness.stub.deliveries.length;
    await shopper.tapAdd(card);
    expect(callsSince(harness, before).map((d) => d.kind)).toEqual(["cart"]);
    expect(cartPosts(harness).at(-1)).toMatchObject({ sku: "milk-001", price: card.promo_price ?? card.price });
  });

  it("SKUs a products answer returns unasked are never shown and never priced", async () => {
    harness = await startHarness();
    harness.intercept.handler = (request, response, next) => {
      if (request.path !== "/api/vizochok/check-products" || request.body !== undefined) return next();
      // Answer for what was asked, plus a SKU nobody asked for at a bogus price.
      let raw = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (raw += chunk));
      request.on("end", () => {
        const { skus } = JSON.parse(raw) as { skus: string[] };
        const asked = skus.map((sku) => ({ sku, price: 10, in_stock: true }));
        response.json({ products: [...asked, { sku: "snack-001", price: 0.01, in_stock: true }] });
      });
    };
    const shopper = harness.client();
    await shopper.connect();
    const frames = await shopper.send("show me milk");
    expect(cardsOf(frames).length).toBeGreaterThan(0);
    expect(cardsOf(frames).map((card) => card.sku)).not.toContain("snack-001");
    harness.intercept.handler = undefined;
    const before = harness.stub.deliveries.length;
    await shopper.tapAdd("snack-001");
    const after = callsSince(harness, before);
    expect(after.map((d) => d.kind)).toEqual(["products", "cart"]);
    expect((after[0]!.request.body as { skus: string[] }).skus).toEqual(["snack-001"]);
    expect(cartPosts(harness).at(-1)).toMatchObject({ sku: "snack-001", price: offer("snack-001").promo_price });
  });

  it("a products answer that breaks the schema (\"price\": \"42\") is a failed delivery, not data", async () => {
    harness = await startHarness();
    harness.intercept.handler = (request, response, next) =>
      request.path === "/api/vizochok/check-products" ? void response.json({ products: [{ sku: "milk-001", price: "42", in_stock: true }] }) : next();
    const shopper = harness.client();
    await shopper.connect();
    const frames = await shopper.send("show me milk");
    const products = harness.stub.deliveries.filter((d) => d.kind === "products");
    expect(products.map((d) => d.outcome)).toEqual(["invalid_answer"]);
    expect(cardsOf(frames)).toEqual([]);
    expect(textOf(frames)).toContain("couldn't load the products");
  });
});

describe("onProductClick", () => {
  it("fires with the card when the shopper taps Add, before the add_to_cart action is sent", async () => {
    harness = await startHarness();
    const clicks: Array<{ item: ProductItem; cartPostsSoFar: number }> = [];
    const shopper = harness.client({ onProductClick: (item) => clicks.push({ item, cartPostsSoFar: cartPosts(harness!).length }) });
    await shopper.connect();
    const card = cardsOf(await shopper.send("show me milk"))[0]!;
    await shopper.tapAdd(card.sku, 2);
    expect(clicks).toEqual([{ item: { ...card, quantity: 2 }, cartPostsSoFar: 0 }]);
    expect(cartPosts(harness)).toHaveLength(1);
  });
});
