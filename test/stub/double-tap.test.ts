// A shopper taps Add twice on one card: the stub sends two byte-identical signed adds (same
// session, SKU, quantity and second), and the assistant's cart and the store's must both hold 2.
import { afterEach, describe, expect, it } from "vitest";
import type { ServerFrame } from "vizochok-merchant-kit/testing";
import { startHarness, type Harness } from "./harness.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

type CartChanged = Extract<ServerFrame, { type: "cart_changed" }>;

describe("the same product added twice in one second", () => {
  it("two taps on Add: two identical signed adds, both applied; the assistant's cart and the store's both hold 2", async () => {
    // One frozen clock for both sides: the two adds are signed in the same second, and the store
    // sees the second arrive right after the first was answered.
    const at = Date.now();
    harness = await startHarness({ stub: { now: () => at }, storeNow: () => at });
    const client = harness.client({ userId: "double-tapper" });
    await client.connect();
    await client.send("show me milk");
    const [first, second] = await Promise.all([client.tapAdd("milk-001"), client.tapAdd("milk-001")]);

    const adds = harness.stub.deliveries.filter((d) => d.kind === "cart");
    expect(adds).toHaveLength(2);
    expect(adds[1]!.request.rawBody).toBe(adds[0]!.request.rawBody);
    expect(adds[1]!.request.headers["X-VIZOCHOK-Signature"]).toBe(adds[0]!.request.headers["X-VIZOCHOK-Signature"]);
    expect(adds.map((d) => d.response?.rawBody)).toEqual([`{"ok":true}`, `{"ok":true}`]);

    const changed = [...first!, ...second!].filter((f): f is CartChanged => f.type === "cart_changed");
    expect(changed.map((f) => f.items.map((item) => [item.sku, item.quantity]))).toEqual([[["milk-001", 1]], [["milk-001", 2]]]);
    expect(client.cart).toEqual([expect.objectContaining({ sku: "milk-001", quantity: 2 })]);
    expect(harness.store.store.cart({ store_id: "store-1", session_id: "double-tapper" }).items).toEqual([
      expect.objectContaining({ sku: "milk-001", quantity: 2 }),
    ]);
  });
});
