// The scripted agent's intents, end to end against the reference store.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame, WidgetClient } from "vizochok-merchant-kit/testing";
import { startHarness, textOf, types, type Harness } from "./harness.js";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
// A key may hold only three connections, so each test hangs up its shopper.
const open: WidgetClient[] = [];
afterEach(() => Promise.all(open.splice(0).map((client) => client.close())));

let user = 0;
async function shopper(): Promise<WidgetClient> {
  const client = harness.client({ userId: `agent-${++user}` });
  open.push(client);
  await client.connect();
  return client;
}
const find = <T extends ServerFrame["type"]>(frames: ServerFrame[], type: T) =>
  frames.find((f) => f.type === type) as Extract<ServerFrame, { type: T }> | undefined;

describe("scripted agent", () => {
  it.each([
    ["show me milk", "milk-001"],
    ["do you have oat milk?", "milk-004"],
    ["покажи молоко", "milk-006"],
    ["чи є у вас кефір?", "dairy-005"],
  ])("“%s” shows product cards including %s", async (text, sku) => {
    const client = await shopper();
    const cards = find(await client.send(text), "product_cards");
    expect(cards?.items.map((i) => i.sku)).toContain(sku);
  });

  it.each([
    ["add milk-001", "milk-001", 1],
    ["add Lactel milk", "milk-001", 1],
    ["add two Pringles Original", "snack-001", 2],
    ["додай 2 молоко Яготинське", "milk-006", 2],
  ])("“%s” adds %s × %d", async (text, sku, quantity) => {
    const client = await shopper();
    const changed = find(await client.send(text), "cart_changed");
    expect(changed).toMatchObject({ action: "item_selected", sku, quantity });
  });

  it("an ambiguous add asks with quick replies, and a tap on one adds it", async () => {
    const client = await shopper();
    const frames = await client.send("add milk");
    const replies = find(frames, "quick_replies")!;
    expect(replies.options.length).toBeGreaterThan(1);
    expect(types(frames)).not.toContain("cart_changed");
    const chosen = await client.quickReply(replies.options[1]!.value);
    expect(find(chosen, "cart_changed")?.items).toHaveLength(1);
  });

  it("change quantity, remove, show and clear the cart", async () => {
    const client = await shopper();
    await client.send("add milk-004");
    await client.send("add snack-002");
    expect(find(await client.send("change milk-004 to 3"), "cart_changed")).toMatchObject({ action: "quantity_updated", quantity: 3 });
    expect(textOf(await client.send("what's in my cart?"))).toContain("Alpro Oat Milk 1 l × 3");
    expect(find(await client.send("видали milk-004 з кошика"), "cart_changed")?.items.map((i) => i.sku)).toEqual(["snack-002"]);
    const cleared = await client.send("clear my cart");
    expect(find(cleared, "event")).toEqual({ type: "event", event: "cart_cleared" });
    expect(find(cleared, "cart_changed")).toMatchObject({ action: "cart_cleared", items: [], total: 0 });
    const rows = harness.store.db
      .prepare("SELECT count(*) AS n FROM cart_lines JOIN carts USING (cart_id) WHERE session_id = ?")
      .get(`agent-${user}`) as { n: number };
    expect(rows.n).toBe(0);
  });

  it("a recipe becomes an ingredient checklist; submitting it adds the ticked items", async () => {
    const client = await shopper();
    const frames = await client.send("що потрібно для борщу?");
    const checklist = find(frames, "ingredient_checklist")!;
    expect(checklist.title).toBe("Ingredients for borscht");
    expect(checklist.items.map((i) => i.sku)).toContain("veg-004");
    // Each line carries its product's unit, so a widget can show "0.5 kg" rather than "0.5".
    expect(checklist.items.find((i) => i.sku === "veg-004")).toMatchObject({ name: "Beetroot", quantity: 0.5, unit: "kg" });
    expect(checklist.items.find((i) => i.sku === "pantry-018")).toMatchObject({ quantity: 1, unit: "pcs" });
    const ticked = checklist.items.filter((i) => i.checked).map((i) => i.sku!).slice(0, 3);
    const added = await client.submitChecklist(ticked);
    const last = added.filter((f) => f.type === "cart_changed").pop() as Extract<ServerFrame, { type: "cart_changed" }>;
    expect(last.items.map((i) => i.sku)).toEqual(ticked);
    // Beetroot is sold by weight: the recipe's 0.5 kg is what goes into the cart.
    expect(last.items.find((i) => i.sku === "veg-004")?.quantity).toBe(0.5);
    expect(types(added).indexOf("text_end")).toBeLessThan(types(added).indexOf("event"));
  });

  it("a greeting explains what the agent can do", async () => {
    const client = await shopper();
    expect(textOf(await client.send("привіт"))).toContain("show me milk");
  });
});
