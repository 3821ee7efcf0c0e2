// "it", "that one", "його", "її": the product the shopper last added or changed, checked in the store's own cart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame, WidgetClient } from "vizochok-merchant-kit/testing";
import { startHarness, textOf, type Harness } from "./harness.js";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());
const open: WidgetClient[] = [];
afterEach(() => Promise.all(open.splice(0).map((client) => client.close())));

let user = 0;
async function shopper(): Promise<{ client: WidgetClient; storeCart: () => Array<{ sku: string; quantity: number }> }> {
  const userId = `pronoun-${++user}`;
  const client = harness.client({ userId });
  open.push(client);
  await client.connect();
  const storeCart = () => harness.store.store.cart({ store_id: "store-1", session_id: userId }).items.map(({ sku, quantity }) => ({ sku, quantity }));
  return { client, storeCart };
}
const changeOf = (frames: ServerFrame[]) => frames.find((f) => f.type === "cart_changed") as Extract<ServerFrame, { type: "cart_changed" }> | undefined;
const cardSkus = (frames: ServerFrame[]) => frames.flatMap((f) => (f.type === "product_cards" ? f.items.map((i) => i.sku) : []));

describe("scripted agent: “it” is the product last added or changed", () => {
  it("after tapping Add on milk-001 in a list of milks, “remove it” removes milk-001", async () => {
    const { client, storeCart } = await shopper();
    const shown = cardSkus(await client.send("show me milk"));
    expect(shown.length).toBeGreaterThan(1);
    expect(shown[0]).not.toBe("milk-001");
    expect(shown).toContain("milk-001");
    await client.tapAdd("milk-001");
    expect(storeCart()).toEqual([{ sku: "milk-001", quantity: 1 }]);

    const removed = await client.send("remove it");
    expect(changeOf(removed)).toMatchObject({ action: "item_removed", sku: "milk-001", items: [] });
    expect(storeCart()).toEqual([]);
  });

  it("“видали його” after a tap removes the tapped product", async () => {
    const { client, storeCart } = await shopper();
    await client.send("show me milk");
    await client.tapAdd("milk-007");
    const removed = await client.send("видали його");
    expect(changeOf(removed)).toMatchObject({ action: "item_removed", sku: "milk-007" });
    expect(storeCart()).toEqual([]);
  });

  it("“зміни її на 3” changes the product the agent just added", async () => {
    const { client, storeCart } = await shopper();
    await client.send("show me milk");
    expect(changeOf(await client.send("add the third one"))).toMatchObject({ sku: "milk-001" });
    expect(changeOf(await client.send("зміни її на 3"))).toMatchObject({ action: "quantity_updated", sku: "milk-001", quantity: 3 });
    expect(storeCart()).toEqual([{ sku: "milk-001", quantity: 3 }]);
    expect(changeOf(await client.send("remove that one"))).toMatchObject({ action: "item_removed", sku: "milk-001" });
    expect(storeCart()).toEqual([]);
  });

  it("of two products added, “remove it” removes the later one", async () => {
    const { client, storeCart } = await shopper();
    await client.send("add milk-004");
    await client.send("add snack-002");
    expect(changeOf(await client.send("remove it"))).toMatchObject({ sku: "snack-002" });
    expect(storeCart()).toEqual([{ sku: "milk-004", quantity: 1 }]);
  });

  it("a newer search does not move “remove it” off the product in the cart", async () => {
    const { client, storeCart } = await shopper();
    await client.send("show me milk");
    await client.tapAdd("milk-001");
    await client.send("do you have oat milk?");
    expect(changeOf(await client.send("remove it"))).toMatchObject({ sku: "milk-001" });
    expect(storeCart()).toEqual([]);
  });

  it("with nothing added or changed yet, “it” is the first product shown", async () => {
    const { client, storeCart } = await shopper();
    const shown = cardSkus(await client.send("show me milk"));
    expect(changeOf(await client.send("add it"))).toMatchObject({ action: "item_selected", sku: shown[0] });
    expect(storeCart()).toEqual([{ sku: shown[0], quantity: 1 }]);
  });

  it("“add it” after a newer search adds the first of the new cards", async () => {
    const { client, storeCart } = await shopper();
    await client.send("show me milk");
    await client.tapAdd("milk-001");
    const shown = cardSkus(await client.send("do you have oat milk?"));
    expect(changeOf(await client.send("add it"))).toMatchObject({ sku: shown[0] });
    expect(storeCart().map((item) => item.sku).sort()).toEqual(["milk-001", shown[0]].sort());
  });

  it("after the cart is cleared, “remove it” has nothing in the cart to point at", async () => {
    const { client, storeCart } = await shopper();
    await client.send("add milk-004");
    await client.send("clear my cart");
    const answer = await client.send("remove it");
    expect(changeOf(answer)).toBeUndefined();
    expect(textOf(answer)).toContain("couldn't find that product in your cart");
    expect(storeCart()).toEqual([]);
  });
});
