// The whole agent flow over real loopback HTTP and WebSocket: widget client → stub → reference store.
import { afterEach, describe, expect, it } from "vitest";
import { verifyWebhookSignature, type ProductItem } from "vizochok-merchant-kit";
import type { ServerFrame } from "vizochok-merchant-kit/testing";
import { catalog, startHarness, textOf, types, type Harness } from "./harness.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const cardsOf = (frames: ServerFrame[]) => frames.flatMap((frame) => (frame.type === "product_cards" ? frame.items : []));
const offer = (sku: string, store = "store-1") => catalog.offers.find((o) => o.sku === sku && o.store_id === store)!;
const cartRows = (h: Harness, session: string) =>
  h.store.db
    .prepare("SELECT l.sku, l.quantity_milli FROM cart_lines l JOIN carts c USING (cart_id) WHERE c.session_id = ? ORDER BY l.line_id")
    .all(session) as Array<{ sku: string; quantity_milli: number }>;

describe("end to end against the reference store", () => {
  it("search → signed products webhook → only in-stock cards at the store's prices", async () => {
    harness = await startHarness();
    const client = harness.client();
    await client.connect();
    const frames = await client.send("show me milk");

    expect(types(client.frames).slice(0, 2)).toEqual(["auth_ok", "conversation_started"]);
    expect(types(frames)).toEqual(expect.arrayContaining(["status", "text_delta", "text_end", "product_cards", "response_complete"]));
    const answer = types(frames).slice(types(frames).indexOf("text_delta"));
    expect(answer.filter((t) => t === "text_delta").length).toBeGreaterThan(1);
    expect(answer.slice(-3)).toEqual(["text_end", "product_cards", "response_complete"]);

    const products = harness.stub.deliveries.find((d) => d.kind === "products")!;
    expect(products.response?.status).toBe(200);
    const check = verifyWebhookSignature({ secrets: harness.secret, headers: products.request.headers, rawBody: products.request.rawBody });
    expect(check.ok).toBe(true);

    const cards = cardsOf(frames);
    expect(cards.length).toBeGreaterThan(0);
    // milk-003 has no stock in store-1: the store says in_stock false, so it is never shown.
    expect((products.request.body as { skus: string[] }).skus).toContain("milk-003");
    expect(cards.map((c) => c.sku)).not.toContain("milk-003");
    for (const card of cards) {
      expect(card.price).toBe(offer(card.sku).price);
      expect(card.promo_price).toBe(offer(card.sku).promo_price ?? null);
    }
  });

  it("add → a row in SQLite → event and cart_changed with the full cart → reconnect restores the session", async () => {
    harness = await startHarness();
    const client = harness.client({ userId: "shopper-add" });
    await client.connect();
    await client.send("show me oat milk");
    const added = await client.send("add 2 of the first one");

    expect(types(added).slice(types(added).indexOf("text_end"))).toEqual(["text_end", "event", "cart_changed", "response_complete"]);
    const changed = added.find((f) => f.type === "cart_changed") as Extract<ServerFrame, { type: "cart_changed" }>;
    expect(changed.items).toEqual([expect.objectContaining({ sku: "milk-004", quantity: 2, price: offer("milk-004").price })]);
    expect(cartRows(harness, "shopper-add")).toEqual([{ sku: "milk-004", quantity_milli: 2000 }]);

    await client.send("add milk-001");
    const full = (client.frames.filter((f) => f.type === "cart_changed").pop() as typeof changed).items.map((i) => i.sku);
    expect(full).toEqual(["milk-004", "milk-001"]);

    const conversationId = client.conversationId!;
    await client.close();
    const again = harness.client({ userId: "shopper-add", conversationId });
    await again.connect();
    const restored = () => again.frames.find((f) => f.type === "session_restored");
    await expect.poll(restored, { timeout: 10_000, interval: 5 }).toBeDefined();
    const frame = restored() as Extract<ServerFrame, { type: "session_restored" }>;
    expect(frame.conversation_id).toBe(conversationId);
    expect(frame.selected_items.map((i) => [i.sku, i.quantity])).toEqual([
      ["milk-004", 2],
      ["milk-001", 1],
    ]);
    expect(frame.total).toBe(Math.round((2 * offer("milk-004").price + offer("milk-001").promo_price!) * 100) / 100);
  });

  it("a new conversation loads the store's cart through cart GET", async () => {
    harness = await startHarness();
    const first = harness.client({ userId: "returning" });
    await first.connect();
    await first.send("add milk-005");
    await first.close();

    const fresh = harness.client({ userId: "returning" });
    await fresh.connect();
    const frames = await fresh.send("what's in my cart?");
    const cartGet = harness.stub.deliveries.filter((d) => d.kind === "cart_get");
    expect(cartGet.at(-1)?.request.url).toContain("session_id=returning");
    expect(textOf(frames)).toContain("Oatly Oat Drink Barista 1 l × 1");
    const done = frames.at(-1) as Extract<ServerFrame, { type: "response_complete" }>;
    expect(done.session_summary.selected_items.map((i) => i.sku)).toEqual(["milk-005"]);
  });

  describe("each rejection produces the documented reply", () => {
    it("out_of_stock → in-stock alternatives from the same category", async () => {
      harness = await startHarness();
      const client = harness.client();
      await client.connect();
      const frames = await client.send("add milk-003");
      expect(harness.stub.deliveries.some((d) => d.kind === "cart" && (d.response?.body as { reason?: string }).reason === "out_of_stock")).toBe(true);
      expect(textOf(frames)).toContain("out of stock");
      const cards = cardsOf(frames);
      expect(cards.length).toBeGreaterThan(0);
      for (const card of cards) expect(catalog.products.find((p) => p.sku === card.sku)?.category_path).toBe("Dairy > Milk");
      expect(cards.map((c) => c.sku)).not.toContain("milk-003");
    });

    it("quantity_exceeded → suggests half the quantity asked for: 5 of 3 in stock → 2", async () => {
      expect(offer("milk-002").stock).toBe(3);
      harness = await startHarness();
      const client = harness.client();
      await client.connect();
      const frames = await client.send("add 5 of milk-002");
      expect(textOf(frames)).toMatch(/can't add .* How about 2\?$/);
      const replies = frames.find((f) => f.type === "quick_replies") as Extract<ServerFrame, { type: "quick_replies" }>;
      expect(replies.options).toEqual([{ label: "Add 2", value: "add 2 of milk-002" }]);
      const retried = await client.quickReply(replies.options[0]!.value);
      expect(types(retried)).toContain("cart_changed");
      expect(cartRows(harness, "shopper-1")).toEqual([{ sku: "milk-002", quantity_milli: 2000 }]);
    });

    it("quantity_exceeded on a product with a per-customer limit → suggests the limit: 5 of snack-001 → 3", async () => {
      harness = await startHarness();
      // Enough on the shelf that only the stock check could refuse 5: the store says quantity_exceeded.
      harness.store.db.prepare("UPDATE stock SET on_hand_milli = 4000, reserved_milli = 0 WHERE store_id = 'store-1' AND sku = 'snack-001'").run();
      harness.store.db.prepare("UPDATE products SET max_per_customer_milli = NULL WHERE sku = 'snack-001'").run();
      const client = harness.client();
      await client.connect();
      const frames = await client.send("add 5 of snack-001");
      expect(harness.stub.deliveries.filter((d) => d.kind === "cart").map((d) => (d.response?.body as { reason?: string }).reason)).toEqual(["quantity_exceeded"]);
      const replies = frames.find((f) => f.type === "quick_replies") as Extract<ServerFrame, { type: "quick_replies" }>;
      expect(replies.options).toEqual([{ label: "Add 3", value: "add 3 of snack-001" }]);
    });

    it("product_not_found → offers to search again", async () => {
      harness = await startHarness();
      const client = harness.client();
      await client.connect();
      const frames = await client.send("add meat-016"); // inactive in the store
      expect(textOf(frames)).toContain("Shall I search again?");
      const replies = frames.find((f) => f.type === "quick_replies") as Extract<ServerFrame, { type: "quick_replies" }>;
      expect(replies.options[0]).toEqual({ label: "Search again", value: expect.stringMatching(/^show me /) });
    });

    it("not_in_cart → says so", async () => {
      harness = await startHarness();
      const client = harness.client();
      await client.connect();
      const frames = await client.send("remove milk-001");
      expect((harness.stub.deliveries.at(-1)!.response!.body as { reason: string }).reason).toBe("not_in_cart");
      expect(textOf(frames)).toContain("is not in your cart");
      expect(types(frames)).not.toContain("cart_changed");
    });

    it("a custom reason (max_3_per_customer) is explained in words", async () => {
      harness = await startHarness();
      const client = harness.client();
      await client.connect();
      const frames = await client.send("add 4 of snack-001");
      expect(textOf(frames)).toContain("max 3 per customer");
      expect(cartRows(harness, "shopper-1")).toEqual([]);
    });
  });

  it("signs every webhook with its own clock: the timestamp header is that clock's second", async () => {
    // A clock far from the real one, 789 ms into its second: a stub that signed with Date.now()
    // or rounded would be refused by the store (which reads the same clock) or differ by one.
    const at = 1_767_225_600_789;
    harness = await startHarness({ stub: { now: () => at }, storeNow: () => at });
    const client = harness.client();
    await client.connect();
    await client.send("add milk-001");
    const sent = harness.stub.deliveries.filter((d) => d.kind === "products" || d.kind === "cart");
    expect(sent.length).toBeGreaterThan(0);
    for (const delivery of sent) {
      expect([delivery.at, delivery.request.headers["X-VIZOCHOK-Timestamp"], delivery.response?.status]).toEqual([at, "1767225600", 200]);
      const check = verifyWebhookSignature({ secrets: harness.secret, headers: delivery.request.headers, rawBody: delivery.request.rawBody, now: at });
      expect(check.ok).toBe(true);
    }
  });

  it("a store that does not answer within the timeout gets exactly one retry, then webhook_timeout", async () => {
    harness = await startHarness({ tenant: {} });
    await harness.stub.tools("shop").searchProducts({ storeId: "store-1", query: "milk-001" });
    // Patch the timeout down through the admin API, as a retailer would.
    const patched = await fetch(`${harness.stub.url}/api/v1/admin/webhooks`, {
      method: "PATCH",
      headers: { authorization: "Bearer sk_test_shop", "content-type": "application/json" },
      body: JSON.stringify({ timeout_seconds: 0.2 }),
    });
    expect(patched.status).toBe(200);
    // The cart webhook is held unanswered (no timer racing the stub's 0.2 s one); closing the
    // harness drops the held connections.
    harness.intercept.handler = (request, _response, next) => {
      if (request.path !== "/api/vizochok/cart") next();
    };
    const client = harness.client();
    await client.connect();
    const frames = await client.send("add milk-001");
    const carts = harness.stub.deliveries.filter((d) => d.kind === "cart");
    expect(carts.map((d) => [d.attempt, d.outcome])).toEqual([
      [1, "timeout"],
      [2, "timeout"],
    ]);
    expect(textOf(frames)).toContain("did not answer in time");
    expect(types(frames)).not.toContain("cart_changed");
  });

  it("a store answering 500 → one retry → webhook_error", async () => {
    harness = await startHarness();
    let calls = 0;
    harness.intercept.handler = (request, response, next) => {
      if (request.path !== "/api/vizochok/cart") return next();
      calls++;
      response.status(500).json({ error: "boom" });
    };
    const client = harness.client();
    await client.connect();
    const frames = await client.send("add milk-001");
    expect(calls).toBe(2);
    expect(harness.stub.deliveries.filter((d) => d.kind === "cart").map((d) => d.outcome)).toEqual(["http_5xx", "http_5xx"]);
    expect(textOf(frames)).toContain("could not update your cart");
  });

  it("a wrong secret → 401 → every product treated as unavailable", async () => {
    harness = await startHarness({ stubSecret: "whsec_wrong" });
    const client = harness.client();
    await client.connect();
    const frames = await client.send("show me milk");
    const products = harness.stub.deliveries.filter((d) => d.kind === "products");
    expect(products.map((d) => [d.response?.status, d.outcome])).toEqual([[401, "http_error"]]);
    expect(cardsOf(frames)).toEqual([]);
    expect(textOf(frames)).toContain("couldn't load the products");
  });

  it("two tenants cannot see each other", async () => {
    harness = await startHarness({
      extraTenants: (base, secret) => [
        {
          id: "other",
          publicKey: "pk_test_other",
          secretKey: "sk_test_other",
          stores: ["store-2"],
          webhooks: { products_url: `${base}/check-products`, cart_url: `${base}/cart`, secret },
          catalog: [{ sku: "milk-001", name: "Other Tenant Milk" }],
        },
      ],
    });
    // A key of tenant A cannot chat for tenant B's store.
    const wrongStore = harness.client({ storeId: "store-2", publicKey: "pk_test_other" });
    await wrongStore.connect();
    const theirs = await wrongStore.send("show me milk");
    expect(cardsOf(theirs).map((c: ProductItem) => c.name)).toEqual(["Other Tenant Milk"]);
    const mine = harness.client({ storeId: "store-2" });
    await mine.connect();
    expect(cardsOf(await mine.send("show me milk")).map((c) => c.name)).not.toContain("Other Tenant Milk");

    const denied = harness.client({ storeId: "store-1", publicKey: "pk_test_other", userId: "x" });
    await expect(denied.connect()).rejects.toMatchObject({ code: "auth_error" });

    // Their admin key sees only their settings and cannot read our catalog jobs.
    const job = await (
      await fetch(`${harness.stub.url}/api/v1/catalog/products`, {
        method: "PUT",
        headers: { authorization: "Bearer sk_test_shop", "content-type": "application/json" },
        body: JSON.stringify({ products: [{ sku: "new-1", name: "New" }] }),
      })
    ).json();
    const peek = await fetch(`${harness.stub.url}/api/v1/catalog/jobs/${job.job_id}`, { headers: { authorization: "Bearer sk_test_other" } });
    expect(peek.status).toBe(404);
    expect(harness.stub.tools("other").rankCatalog("new")).toEqual([]);
    expect(harness.stub.tools("shop").rankCatalog("new")[0]?.sku).toBe("new-1");
  });
});
