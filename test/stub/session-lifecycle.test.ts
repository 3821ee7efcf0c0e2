// The session lifecycle of seeds/002, 003 and 004, over a bare WebSocket and the headless client,
// against the stub wired to the reference store.
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { ProductItem } from "vizochok-merchant-kit";
import type { ServerFrame } from "vizochok-merchant-kit/testing";
import { PUBLIC_KEY, startHarness, textOf, type Harness } from "./harness.js";
import { openRaw, type RawSocket } from "./raw-socket.js";

let harness: Harness | undefined;
const sockets: RawSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
  await harness?.close();
  harness = undefined;
});

async function connect(h: Harness, auth: Record<string, unknown> = {}): Promise<RawSocket> {
  const socket = await openRaw(h.stub.wsUrl);
  sockets.push(socket);
  socket.send({ type: "auth", token: PUBLIC_KEY, store_id: "store-1", user_id: "u1", ...auth });
  return socket;
}

const cartGets = (h: Harness, session: string) => h.stub.deliveries.filter((d) => d.kind === "cart_get" && d.request.url.includes(`session_id=${session}`));
const cartPosts = (h: Harness) => h.stub.deliveries.filter((d) => d.kind === "cart").map((d) => d.request.body as { session_id: string; sku?: string });
const types = (socket: RawSocket, from = 0) => socket.frames.slice(from).map((frame) => frame.type);

describe("a new connection", () => {
  it("gets auth_ok, then at once conversation_started with a new id, then the cart GET — no message needed", async () => {
    harness = await startHarness();
    const socket = await connect(harness);
    const started = await socket.next("conversation_started");
    expect(types(socket)).toEqual(["auth_ok", "conversation_started"]);
    expect(started.conversation_id).toEqual(expect.any(String));
    await expect.poll(() => cartGets(harness!, "u1").length).toBe(1);
    expect(types(socket)).toEqual(["auth_ok", "conversation_started"]);
  });

  it("loads the store's cart before the first answer, so the first answer already knows it", async () => {
    harness = await startHarness();
    const before = harness.client({ userId: "u-cart" });
    await before.connect();
    await before.tapAdd("milk-001", 2);
    await before.close();
    const socket = await connect(harness, { user_id: "u-cart" });
    const { conversation_id } = await socket.next("conversation_started");
    socket.send({ type: "message", text: "what's in my cart?", conversation_id });
    const done = await socket.next("response_complete");
    expect(done.session_summary).toMatchObject({ selected_items: [expect.objectContaining({ sku: "milk-001", quantity: 2 })], item_count: 1 });
  });
});

describe("auth with a conversation_id the shopper cannot resume", () => {
  it.each([
    ["unknown", () => randomUUID()],
    ["someone else's", async (h: Harness) => {
      const owner = await connect(h, { user_id: "owner" });
      return String((await owner.next("conversation_started")).conversation_id);
    }],
  ] as const)("%s: auth_ok, then conversation_started with a new id", async (_name, idFor) => {
    harness = await startHarness();
    const stale = await idFor(harness);
    const socket = await connect(harness, { conversation_id: stale });
    const started = await socket.next("conversation_started");
    expect(types(socket)).toEqual(["auth_ok", "conversation_started"]);
    expect(started.conversation_id).not.toBe(stale);
  });

  it("expired (idle over 1 h): auth_ok, then conversation_started with a new id", async () => {
    let now = Date.now();
    harness = await startHarness({ stub: { now: () => now } });
    const first = await connect(harness);
    const { conversation_id } = await first.next("conversation_started");
    first.ws.close();
    await first.closed;
    now += 60 * 60 * 1000 + 1;
    const socket = await connect(harness, { conversation_id });
    const started = await socket.next("conversation_started");
    expect(types(socket)).toEqual(["auth_ok", "conversation_started"]);
    expect(started.conversation_id).not.toBe(conversation_id);
  });
});

describe("messages and conversations", () => {
  it("a message without conversation_id starts a new conversation: conversation_started, then the answer in it", async () => {
    harness = await startHarness();
    const socket = await connect(harness);
    const first = String((await socket.next("conversation_started")).conversation_id);
    await expect.poll(() => cartGets(harness!, "u1").length).toBe(1);
    const from = socket.frames.length;
    socket.send({ type: "message", text: "hello" });
    const done = await socket.next("response_complete", from);
    const started = socket.frames.slice(from).find((frame) => frame.type === "conversation_started")!;
    expect(types(socket, from)[0]).toBe("conversation_started");
    expect(started.conversation_id).not.toBe(first);
    expect(done.conversation_id).toBe(started.conversation_id);
    expect(cartGets(harness, "u1").length).toBe(2);
  });

  it("a message with the current conversation_id is answered in that conversation, with no new one", async () => {
    harness = await startHarness();
    const socket = await connect(harness);
    const { conversation_id } = await socket.next("conversation_started");
    const from = socket.frames.length;
    socket.send({ type: "message", text: "hello", conversation_id });
    const done = await socket.next("response_complete", from);
    expect(types(socket, from)).not.toContain("conversation_started");
    expect(done.conversation_id).toBe(conversation_id);
  });

  it("a message naming another shopper's conversation_id never reaches that conversation or its cart", async () => {
    harness = await startHarness();
    const owner = harness.client({ userId: "owner" });
    await owner.connect();
    await owner.send("add milk-001");
    const theirs = owner.conversationId!;

    const intruder = await connect(harness, { user_id: "intruder" });
    await intruder.next("conversation_started");
    const from = intruder.frames.length;
    intruder.send({ type: "message", text: "add milk-002", conversation_id: theirs });
    const done = await intruder.next("response_complete", from);
    const started = intruder.frames.slice(from).find((frame) => frame.type === "conversation_started");
    expect(started?.conversation_id).not.toBe(theirs);
    expect(done.conversation_id).not.toBe(theirs);
    expect(JSON.stringify(intruder.frames)).not.toContain(theirs);
    expect(cartPosts(harness).map((body) => [body.session_id, body.sku])).toEqual([
      ["owner", "milk-001"],
      ["intruder", "milk-002"],
    ]);

    await owner.close();
    const back = harness.client({ userId: "owner", conversationId: theirs });
    await back.connect();
    expect(back.conversationId).toBe(theirs);
    expect(back.cart.map((item) => [item.sku, item.quantity])).toEqual([["milk-001", 1]]);
  });

  it("an action frame with sku and no action field (the mobile page's wording) is an add_to_cart", async () => {
    harness = await startHarness();
    const socket = await connect(harness);
    const { conversation_id } = await socket.next("conversation_started");
    socket.send({ type: "action", sku: "milk-001", quantity: 2, conversation_id });
    const changed = await socket.next("cart_changed");
    expect(changed).toMatchObject({ action: "item_selected", sku: "milk-001", quantity: 2 });
    expect(types(socket)).not.toContain("error");
  });
});

describe("the mobile lifecycle (seeds/004)", () => {
  it("over a bare WebSocket: connect, message, tap Add, background, foreground → session_restored with the cart", async () => {
    harness = await startHarness();
    // 1. The app opens the chat screen.
    const app = await connect(harness, { user_id: "phone-1" });
    await app.next("auth_ok");
    const conversationId = String((await app.next("conversation_started")).conversation_id);
    // 2. The shopper sends a message.
    app.send({ type: "message", text: "show me milk", conversation_id: conversationId });
    const cards = (await app.next("product_cards")).items as ProductItem[];
    await app.next("response_complete");
    // 3. Tap "Add": an action with sku and quantity; cart_changed confirms.
    const card = cards[0]!;
    const from = app.frames.length;
    app.send({ type: "action", sku: card.sku, quantity: 2 });
    const changed = await app.next("cart_changed", from);
    expect(changed).toMatchObject({ sku: card.sku, quantity: 2, items: [expect.objectContaining({ sku: card.sku, quantity: 2 })] });
    await app.next("response_complete", from);
    // 4. Background: close gracefully, keep the id.
    app.ws.close(1000);
    await app.closed;
    // 5. Foreground: auth with the saved id → session_restored with the cart.
    const again = await connect(harness, { user_id: "phone-1", conversation_id: conversationId });
    const restored = await again.next("session_restored");
    expect(types(again)).toEqual(["auth_ok", "session_restored"]);
    expect(restored).toMatchObject({
      conversation_id: conversationId,
      selected_items: [expect.objectContaining({ sku: card.sku, quantity: 2, price: card.price })],
      pending_tools: [],
    });
    // The message loop resumes in the same conversation.
    const next = again.frames.length;
    again.send({ type: "message", text: "what's in my cart?", conversation_id: conversationId });
    expect((await again.next("response_complete", next)).conversation_id).toBe(conversationId);
  });

  it("over the headless client: the same steps, and the client's cart survives the reconnect", async () => {
    harness = await startHarness();
    const app = harness.client({ userId: "phone-2" });
    await app.connect();
    const shown = await app.send("show me milk");
    const card = shown.flatMap((frame) => (frame.type === "product_cards" ? frame.items : []))[0]!;
    const added = await app.tapAdd(card, 2);
    expect(added.some((frame) => frame.type === "cart_changed")).toBe(true);
    const conversationId = app.conversationId!;
    await app.close();

    const restored: ServerFrame[] = [];
    const again = harness.client({ userId: "phone-2", conversationId, onFrame: (frame) => restored.push(frame) });
    await again.connect();
    expect(restored.map((frame) => frame.type)).toEqual(["auth_ok", "session_restored"]);
    expect(again.conversationId).toBe(conversationId);
    expect(again.cart).toEqual([expect.objectContaining({ sku: card.sku, quantity: 2 })]);
    expect(textOf(await again.send("what's in my cart?"))).toContain(card.name);
  });
});
