// A shopper taps Add twice, quickly, on one card of the demo page. The assistant answers one
// request at a time per conversation, so the page sends the second tap when the first turn ends;
// the store applies both identical adds (or, with `identicalRequests: "refuse"`, refuses the
// second and the page says so). Whatever happens, the assistant's cart and the store's cart hold
// as many as the store answered ok, and the page shows them agreeing.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type IdenticalRequestPolicy } from "vizochok-merchant-kit";
import type { WebhookDelivery } from "vizochok-merchant-kit/testing";
import { startDemo, type Demo } from "../../reference-store/demo.js";
import { launchChromium, skipBrowserTests, skippedBecause, type LaunchedChromium } from "./chromium.js";

/** Under a loaded CI machine a frame can take longer than expect.poll's 1 s default. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

type Frame = Record<string, unknown> & { type: string };
interface WireEntry {
  direction: "sent" | "received";
  frame: Frame;
}
interface CartLine {
  sku: string;
  quantity: number;
}

interface Shopper {
  page: Page;
  sessionId: string;
  /** Every WebSocket frame the page sent and received, in order. */
  wire: WireEntry[];
  errors: string[];
}

interface DemoUnderTest {
  demo: Demo;
  dir: string;
}

/**
 * A demo whose two servers share one clock that stands still: the two adds are signed in the same
 * second, so they carry the same body and the same signature, as two quick taps do.
 */
async function startFrozenDemo(identicalRequests: IdenticalRequestPolicy): Promise<DemoUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), "vizochok-double-tap-"));
  const at = Date.now();
  const demo = await startDemo({
    port: 0,
    stubPort: 0,
    databasePath: join(dir, "store.db"),
    logger: silentLogger,
    now: () => at,
    identicalRequests,
  });
  return { demo, dir };
}

describe.skipIf(skipBrowserTests)(`two quick taps on Add in the demo page${skippedBecause}`, () => {
  let browser: LaunchedChromium;
  let applying: DemoUnderTest;
  let refusing: DemoUnderTest;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    applying = await startFrozenDemo("apply");
    refusing = await startFrozenDemo("refuse");
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    for (const { demo, dir } of [applying, refusing]) {
      await demo?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  /** Opens the page as a new shopper, recording the chat's frames from the start. */
  async function open(demo: Demo): Promise<Shopper> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const wire: WireEntry[] = [];
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("websocket", (socket) => {
      socket.on("framesent", ({ payload }) => wire.push({ direction: "sent", frame: JSON.parse(String(payload)) as Frame }));
      socket.on("framereceived", ({ payload }) => wire.push({ direction: "received", frame: JSON.parse(String(payload)) as Frame }));
    });
    await page.goto(demo.storeUrl);
    await eventually(() => page.locator("#connection").getAttribute("data-state")).toBe("open");
    const sessionId = (await page.locator("#session-id").textContent()) ?? "";
    expect(sessionId).toMatch(/^shopper-/);
    return { page, sessionId, wire, errors };
  }

  /** Asks for milk and waits until that answer is over; the first card's SKU and name. */
  async function showMilk({ page }: Shopper): Promise<{ sku: string; name: string }> {
    await page.locator("#chat-input").fill("show me milk");
    await page.locator("#chat-input").press("Enter");
    const card = page.locator("#chat-log .card").first();
    await card.waitFor();
    await eventually(() => page.locator("#chat-input").isEnabled()).toBe(true);
    return { sku: (await card.getAttribute("data-sku")) ?? "", name: (await card.locator(".card-name").textContent()) ?? "" };
  }

  function addButton(page: Page, sku: string) {
    return page.locator(`#chat-log .card[data-sku="${sku}"]`).first().getByRole("button", { name: /^Add / });
  }

  /** The cart webhook calls the stub made for this shopper, oldest first. */
  function cartCalls(demo: Demo, sessionId: string): WebhookDelivery[] {
    return demo.stub.deliveries.filter((d) => d.kind === "cart" && (d.request.body as { session_id?: string }).session_id === sessionId);
  }

  async function storeCart(demo: Demo, sessionId: string): Promise<CartLine[]> {
    const url = new URL("/api/cart", demo.storeUrl);
    url.search = new URLSearchParams({ store_id: demo.storeId, session_id: sessionId }).toString();
    const body = (await (await fetch(url)).json()) as { items: CartLine[] };
    return body.items.map(({ sku, quantity }) => ({ sku, quantity }));
  }

  /** The lines a cart panel of the page shows, as `[sku, quantity]`. */
  const pageCart = (page: Page, list: "#assistant-cart" | "#store-cart") =>
    page.locator(`${list} li[data-sku]`).evaluateAll((nodes) => nodes.map((node) => [(node as HTMLElement).dataset.sku, Number((node as HTMLElement).dataset.quantity)]));

  /** The frames sent and received from the first tap on: waits until both taps' turns are over. */
  async function turnsAfterTaps({ page, wire }: Shopper): Promise<WireEntry[]> {
    const firstTap = wire.findIndex((entry) => entry.direction === "sent" && entry.frame.type === "action");
    expect(firstTap).toBeGreaterThanOrEqual(0);
    const ends = () => wire.slice(firstTap).filter((e) => e.direction === "received" && ["response_complete", "error"].includes(e.frame.type));
    await eventually(() => ends().length).toBe(2);
    await eventually(() => page.locator("#chat-input").isEnabled()).toBe(true);
    return wire.slice(firstTap);
  }

  /**
   * What both taps did, on the wire: two `add_to_cart` actions, the second sent only after the
   * first turn ended (so no `agent_busy`), and no error frame at all.
   */
  function expectOneTurnAtATime(turns: WireEntry[], sku: string) {
    const taps = turns.flatMap((entry, index) => (entry.direction === "sent" && entry.frame.type === "action" ? [index] : []));
    expect(taps.map((index) => turns[index]!.frame)).toEqual([
      { type: "action", action: "add_to_cart", sku, quantity: 1 },
      { type: "action", action: "add_to_cart", sku, quantity: 1 },
    ]);
    const firstEnd = turns.findIndex((entry) => entry.direction === "received" && entry.frame.type === "response_complete");
    expect(firstEnd).toBeGreaterThan(taps[0]!);
    expect(taps[1]).toBeGreaterThan(firstEnd);
    expect(turns.filter((entry) => entry.frame.type === "error").map((entry) => entry.frame)).toEqual([]);
  }

  /** The two cart calls were byte-identical and signed alike: the double tap the identical-delivery rule is about. */
  function expectIdenticalAdds(calls: WebhookDelivery[]) {
    expect(calls).toHaveLength(2);
    const [first, second] = calls as [WebhookDelivery, WebhookDelivery];
    expect(second.request.rawBody).toBe(first.request.rawBody);
    expect(second.request.headers["X-VIZOCHOK-Signature"]).toBe(first.request.headers["X-VIZOCHOK-Signature"]);
  }

  /** The assistant's cart (last `cart_changed`, and the page's panel) and the store's (its API, and the page's panel) hold `quantity`. */
  async function expectCartsAgreeOn(demo: Demo, shopper: Shopper, turns: WireEntry[], sku: string, quantity: number) {
    const { page, sessionId } = shopper;
    const changes = turns.filter((entry) => entry.direction === "received" && entry.frame.type === "cart_changed").map((entry) => entry.frame);
    expect(changes).toHaveLength(quantity);
    expect((changes.at(-1)!.items as CartLine[]).map((item) => [item.sku, item.quantity])).toEqual([[sku, quantity]]);
    expect(await storeCart(demo, sessionId)).toEqual([{ sku, quantity }]);
    await eventually(() => pageCart(page, "#assistant-cart")).toEqual([[sku, quantity]]);
    await eventually(() => pageCart(page, "#store-cart")).toEqual([[sku, quantity]]);
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe(String(quantity));
  }

  it("two click() calls on Add, neither awaited before the other: both adds applied, both carts hold 2, as many as the ok answers", async () => {
    const { demo } = applying;
    const shopper = await open(demo);
    const { sku } = await showMilk(shopper);
    const add = addButton(shopper.page, sku);
    // Two clicks, neither waiting for the other nor for the assistant's answer.
    await Promise.all([add.click(), add.click()]);

    const turns = await turnsAfterTaps(shopper);
    expectOneTurnAtATime(turns, sku);
    const calls = cartCalls(demo, shopper.sessionId);
    expectIdenticalAdds(calls);
    const oks = calls.filter((call) => call.response?.rawBody === `{"ok":true}`).length;
    expect(oks).toBe(2);
    await expectCartsAgreeOn(demo, shopper, turns, sku, oks);
    expect(await shopper.page.locator("#chat-waiting").isHidden()).toBe(true);
    expect(shopper.errors).toEqual([]);
  });

  it("two taps in the same instant: the second waits, listed on the page, and goes out when the first answer ends", async () => {
    const { demo } = applying;
    const shopper = await open(demo);
    const { page } = shopper;
    const { sku, name } = await showMilk(shopper);
    // Both clicks run in one task: no answer can arrive between them, so the second surely meets a running turn.
    const seen = await addButton(page, sku).evaluate((button: HTMLButtonElement) => {
      button.click();
      button.click();
      const waiting = document.querySelector<HTMLElement>("#chat-waiting")!;
      return { hidden: waiting.hidden, text: waiting.textContent, messageBoxDisabled: document.querySelector<HTMLInputElement>("#chat-input")!.disabled };
    });
    expect(seen).toEqual({ hidden: false, text: `Waiting for the assistant to finish: Add ${name} × 1.`, messageBoxDisabled: true });

    const turns = await turnsAfterTaps(shopper);
    expectOneTurnAtATime(turns, sku);
    const calls = cartCalls(demo, shopper.sessionId);
    expectIdenticalAdds(calls);
    expect(calls.map((call) => call.response?.rawBody)).toEqual([`{"ok":true}`, `{"ok":true}`]);
    await expectCartsAgreeOn(demo, shopper, turns, sku, 2);
    expect(await page.locator("#chat-waiting").isHidden()).toBe(true);
    expect(shopper.errors).toEqual([]);
  });

  it("with a store that refuses an identical add within 1 s: the second tap is refused, the page says so, both carts hold 1", async () => {
    const { demo } = refusing;
    const shopper = await open(demo);
    const { page } = shopper;
    const { sku } = await showMilk(shopper);
    const add = addButton(page, sku);
    // Two clicks, neither waiting for the other nor for the assistant's answer.
    await Promise.all([add.click(), add.click()]);

    const turns = await turnsAfterTaps(shopper);
    expectOneTurnAtATime(turns, sku);
    const calls = cartCalls(demo, shopper.sessionId);
    expectIdenticalAdds(calls);
    expect(calls.map((call) => call.response?.status)).toEqual([200, 409]);
    expect(JSON.parse(calls[1]!.response!.rawBody)).toMatchObject({ error: "duplicate_delivery" });
    const oks = calls.filter((call) => call.response?.rawBody === `{"ok":true}`).length;
    expect(oks).toBe(1);
    // The refusal is in the chat, and in the webhook log as the store's 409.
    expect(await page.locator("#chat-log .msg-agent").last().textContent()).toMatch(/nothing changed/);
    await eventually(() => page.locator('#webhook-rows tr[data-kind="cart"] td:nth-child(4)').allTextContents()).toEqual(["409", "200"]);
    await expectCartsAgreeOn(demo, shopper, turns, sku, oks);
    expect(shopper.errors).toEqual([]);
  });
});
