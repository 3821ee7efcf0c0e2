// The agent's meal plan (interactive: approve / modify) and details tools, in English and Ukrainian.
import { afterEach, describe, expect, it } from "vitest";
import type { CartChangedEvent, ServerFrame } from "vizochok-merchant-kit/testing";
import { catalog, startHarness, textOf, types, type Harness } from "./harness.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

type MealPlanFrame = Extract<ServerFrame, { type: "meal_plan" }>;
const planOf = (frames: ServerFrame[]) => frames.find((frame): frame is MealPlanFrame => frame.type === "meal_plan");
const planSkus = (plan: MealPlanFrame) => [...new Set(plan.days.flatMap((day) => day.meals.flatMap((meal) => meal.items.flatMap((item) => (item.sku ? [item.sku] : [])))))];
const product = (sku: string) => catalog.products.find((p) => p.sku === sku)!;
const offer = (sku: string) => catalog.offers.find((o) => o.sku === sku && o.store_id === "store-1");
const cartRows = (h: Harness, session: string) =>
  h.store.db
    .prepare("SELECT l.sku FROM cart_lines l JOIN carts c USING (cart_id) WHERE c.session_id = ? ORDER BY l.line_id")
    .all(session)
    .map((row) => (row as { sku: string }).sku);

describe("meal plan", () => {
  it.each([["meal plan for 3 days"], ["план харчування на 3 дні"]])("“%s” → a 3-day plan with approve and modify", async (text) => {
    harness = await startHarness();
    const shopper = harness.client();
    await shopper.connect();
    const frames = await shopper.send(text);
    const plan = planOf(frames)!;
    expect(types(frames).slice(-3)).toEqual(["text_end", "meal_plan", "response_complete"]);
    expect(plan.actions).toEqual(["approve", "modify"]);
    expect(plan.days.map((day) => day.day)).toEqual([1, 2, 3]);
    for (const day of plan.days) {
      expect(day.meals.length).toBeGreaterThan(0);
      for (const meal of day.meals) expect(meal.items.length).toBeGreaterThan(0);
    }
    // Every product with a SKU was priced by the store and is in stock there.
    const priced = harness.stub.deliveries.filter((d) => d.kind === "products").flatMap((d) => (d.request.body as { skus: string[] }).skus);
    for (const sku of planSkus(plan)) {
      expect(priced).toContain(sku);
      expect(offer(sku)?.stock).toBeGreaterThan(0);
    }
    expect(shopper.pendingTools).toEqual([plan]);
  });

  it("approve adds the plan's products through the cart webhook: one event and cart_changed each", async () => {
    harness = await startHarness();
    const shopper = harness.client({ userId: "planner" });
    await shopper.connect();
    const plan = planOf(await shopper.send("meal plan for 2 days"))!;
    const skus = planSkus(plan);
    const frames = await shopper.approveMealPlan();
    const changes = frames.filter((frame): frame is CartChangedEvent => frame.type === "cart_changed");
    const posts = harness.stub.deliveries.filter((d) => d.kind === "cart").map((d) => d.request.body as { action: string; sku: string });
    expect(posts.map((body) => [body.action, body.sku])).toEqual(skus.map((sku) => ["add", sku]));
    expect(frames.filter((frame) => frame.type === "event")).toHaveLength(posts.length);
    const accepted = harness.stub.deliveries.filter((d) => d.kind === "cart" && (d.response?.body as { ok: boolean }).ok).length;
    expect(changes).toHaveLength(accepted);
    expect(changes.at(-1)!.items.map((item) => item.sku)).toEqual(cartRows(harness, "planner"));
    expect(textOf(frames)).toContain("from the meal plan");
    expect(shopper.pendingTools).toEqual([]);
  });

  it("approve reports the store's refusals and adds the rest", async () => {
    harness = await startHarness();
    const shopper = harness.client({ userId: "refusals" });
    await shopper.connect();
    const plan = planOf(await shopper.send("meal plan for 1 day"))!;
    const refusedSku = planSkus(plan)[0]!;
    // The store sells out of the plan's first product before the shopper approves.
    harness.store.db.prepare("UPDATE stock SET on_hand_milli = 0 WHERE store_id = 'store-1' AND sku = ?").run(refusedSku);
    const frames = await shopper.approveMealPlan();
    expect(textOf(frames)).toContain(`Sorry, ${product(refusedSku).name} is out of stock.`);
    const changed = frames.filter((frame): frame is CartChangedEvent => frame.type === "cart_changed");
    expect(changed.map((change) => change.sku)).toEqual(planSkus(plan).slice(1));
    expect(cartRows(harness, "refusals")).not.toContain(refusedSku);
  });

  it("modify with free text answers with a new plan that leaves out what the shopper excluded", async () => {
    harness = await startHarness();
    const shopper = harness.client();
    await shopper.connect();
    const first = planOf(await shopper.send("meal plan for 3 days"))!;
    expect(planSkus(first)).toContain("meat-001"); // borscht's pork
    for (const [text, gone] of [
      ["no pork", "meat-001"],
      ["без сиру", "cheese-005"],
    ] as const) {
      const frames = await shopper.modifyMealPlan(text);
      const plan = planOf(frames)!;
      expect(plan).toBeDefined();
      expect(planSkus(plan)).not.toContain(gone);
      expect(textOf(frames)).toContain("Left out");
    }
    // Approving now adds the modified plan, not the first one.
    const approved = await shopper.approveMealPlan();
    const added = approved.filter((frame) => frame.type === "cart_changed").map((frame) => (frame as CartChangedEvent).sku);
    expect(added).not.toContain("meat-001");
    expect(added).not.toContain("cheese-005");
  });

  it("a reconnect restores the open plan, and approving it still works", async () => {
    harness = await startHarness();
    const shopper = harness.client({ userId: "restore-plan" });
    await shopper.connect();
    const plan = planOf(await shopper.send("meal plan for 1 day"))!;
    await shopper.close();
    const back = harness.client({ userId: "restore-plan", conversationId: shopper.conversationId! });
    await back.connect();
    expect(back.pendingTools).toEqual([plan]);
    const frames = await back.approveMealPlan();
    expect(frames.some((frame) => frame.type === "cart_changed")).toBe(true);
  });
});

describe("details", () => {
  it.each([
    ["tell me more about Lactel milk", "milk-001"],
    ["розкажи про молоко Яготинське", "milk-006"],
  ])("“%s” → brand, unit, category, description, live price and one card", async (text, sku) => {
    harness = await startHarness();
    const shopper = harness.client();
    await shopper.connect();
    harness.store.db.prepare("UPDATE prices SET price = 44.4, promo_price = NULL, promo_label = NULL WHERE store_id = 'store-1' AND sku = ?").run(sku);
    const frames = await shopper.send(text);
    const milk = product(sku);
    const said = textOf(frames);
    expect(said).toContain(milk.brand!);
    expect(said).toContain(milk.category_path!);
    expect(said).toContain(`Sold per ${milk.unit}`);
    expect(said).toContain(milk.description!);
    expect(said).toContain("Price: 44.40 ₴");
    const cards = frames.flatMap((frame) => (frame.type === "product_cards" ? frame.items : []));
    expect(cards).toEqual([expect.objectContaining({ sku, price: 44.4, promo_price: null })]);
    const products = harness.stub.deliveries.filter((d) => d.kind === "products").map((d) => (d.request.body as { skus: string[] }).skus);
    expect(products).toEqual([[sku]]);
  });

  it("a product the store does not sell is described without a price or card", async () => {
    harness = await startHarness();
    const shopper = harness.client();
    await shopper.connect();
    const frames = await shopper.send("tell me more about milk-003"); // no stock in store-1
    expect(textOf(frames)).toContain("isn't available in this store right now");
    expect(types(frames)).not.toContain("product_cards");
  });
});
