// The demo page in Chromium. Every test opens its own browser context (a new shopper, empty
// storage), so each passes alone and in any order.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "vizochok-merchant-kit";
import { startDemo, type Demo } from "../../reference-store/demo.js";
import { startStoreServer, type StoreServer } from "../../reference-store/server.js";
import { launchChromium, skipBrowserTests, skippedBecause, type LaunchedChromium } from "./chromium.js";

const OUTPUT_DIR = resolve(fileURLToPath(new URL("../../test-output/browser", import.meta.url)));
const DEMO_DOC = fileURLToPath(new URL("../../docs/demo.md", import.meta.url));

interface StoreLine {
  sku: string;
  quantity: number;
  unit: string;
}
interface StoreProduct {
  sku: string;
  unit: string;
  category_path: string;
  price: number;
  promo_price?: number | null;
}

/** Under a loaded CI machine a frame can take longer than expect.poll's 1 s default. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

const hryvnia = (value: number) => `${value.toFixed(2).replace(".", ",")} грн`;

/** The badge's count, worked out from the store's cart: pieces and packs by quantity, a weighed line as one. */
const unitsIn = (items: StoreLine[]) => items.reduce((sum, item) => sum + (["pcs", "pack"].includes(item.unit) ? item.quantity : 1), 0);

interface Shopper {
  page: Page;
  sessionId: string;
  errors: string[];
  say(text: string): Promise<void>;
  shot(name: string): Promise<void>;
}

/** Opens the page in a context of its own and waits until the chat is online. */
async function openShopper(browser: LaunchedChromium, contexts: BrowserContext[], url: string): Promise<Shopper> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  await eventually(() => page.locator("#connection").getAttribute("data-state")).toBe("open");
  const sessionId = (await page.locator("#session-id").textContent()) ?? "";
  expect(sessionId).toMatch(/^shopper-/);
  return {
    page,
    sessionId,
    errors,
    async say(text) {
      await page.locator("#chat-input").fill(text);
      await page.locator("#chat-input").press("Enter");
    },
    shot: (name) => page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true }).then(() => undefined),
  };
}

describe.skipIf(skipBrowserTests)(`the demo page in Chromium${skippedBecause}`, () => {
  let dir: string;
  let demo: Demo;
  let browser: LaunchedChromium;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vizochok-demo-"));
    await mkdir(OUTPUT_DIR, { recursive: true });
    demo = await startDemo({ port: 0, stubPort: 0, databasePath: join(dir, "store.db"), logger: silentLogger });
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = () => openShopper(browser, contexts, demo.storeUrl);

  async function storeCart(sessionId: string): Promise<StoreLine[]> {
    const url = new URL("/api/cart", demo.storeUrl);
    url.search = new URLSearchParams({ store_id: demo.storeId, session_id: sessionId }).toString();
    return ((await (await fetch(url)).json()) as { items: StoreLine[] }).items;
  }

  async function storeProduct(sku: string): Promise<StoreProduct> {
    const url = new URL("/api/products", demo.storeUrl);
    url.search = new URLSearchParams({ store_id: demo.storeId, q: sku }).toString();
    const body = (await (await fetch(url)).json()) as { items: StoreProduct[] };
    const product = body.items.find((item) => item.sku === sku);
    if (!product) throw new Error(`${sku} not in the store's API`);
    return product;
  }

  async function shelf(category: string): Promise<string[]> {
    const url = new URL("/api/products", demo.storeUrl);
    url.search = new URLSearchParams({ store_id: demo.storeId, category, limit: "24" }).toString();
    return ((await (await fetch(url)).json()) as { items: StoreProduct[] }).items.map((item) => item.sku);
  }

  const cardSkus = (page: Page) =>
    page.locator("#chat-log .cards").last().locator(".card").evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.sku ?? ""));

  it("opens on the milk shelf, the one the suggested prompts ask about, with the prompts the docs list", async () => {
    const { page, shot } = await open();
    const tiles = page.locator("#product-grid li.tile");
    await tiles.first().waitFor();
    const shown = await tiles.evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.sku ?? ""));
    expect(shown).toEqual(await shelf("Dairy > Milk"));
    expect(await page.locator("#catalog-scope").textContent()).toContain("Shelf: Dairy > Milk");

    const suggested = await page.locator("#suggestions [data-prompt]").evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.prompt));
    expect(suggested[0]).toBe("show me milk");
    const doc = await readFile(DEMO_DOC, "utf8");
    const sentence = /Open `http:\/\/localhost:3000\/` and ask ([^.]*)\./.exec(doc.replace(/\s+/g, " "))?.[1] ?? "";
    expect([...sentence.matchAll(/“([^”]+)”/g)].map((m) => m[1])).toEqual(suggested);
    await shot("1-first-screen");

    await page.locator("#catalog-scope").getByRole("button", { name: "show all products" }).click();
    await eventually(() => page.locator("#catalog-scope").textContent()).toBe("All products");
  });

  it("walks every suggested prompt in order, and each does what it says", async () => {
    const { page, sessionId, errors, shot } = await open();
    const prompts = await page.locator("#suggestions [data-prompt]").evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.prompt));
    expect(prompts).toEqual(["show me milk", "add 2 of the first one", "remove it", "borscht"]);
    const click = (prompt: string) => page.locator(`#suggestions [data-prompt="${prompt}"]`).click();

    // “show me milk”: milk, at the store's prices; no chocolate that merely starts with “Milk”.
    await click("show me milk");
    await page.locator("#chat-log .card").first().waitFor();
    const skus = await cardSkus(page);
    expect(skus.length).toBeGreaterThan(0);
    for (const sku of skus) {
      const product = await storeProduct(sku);
      expect(product.category_path, sku).toMatch(/^Dairy > (Plant-Based )?Milk$/);
      const price = typeof product.promo_price === "number" ? product.promo_price : product.price;
      expect(await page.locator(`#chat-log .card[data-sku="${sku}"] .price-now`).last().textContent(), sku).toBe(hryvnia(price));
    }
    await shot("2-prompt-show-me-milk");

    // “add 2 of the first one”: the first card, twice, in the store; the badge counts 2 units.
    await click("add 2 of the first one");
    const first = skus[0]!;
    await eventually(async () => storeCart(sessionId)).toEqual([expect.objectContaining({ sku: first, quantity: 2 })]);
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("2");
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    await shot("3-prompt-add-2-of-the-first-one");

    // “remove it”: that product leaves the store's cart.
    await click("remove it");
    await eventually(async () => storeCart(sessionId)).toEqual([]);
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("0");
    expect(await page.locator("#chat-log .msg-agent").last().textContent()).toMatch(/^Removed /);
    await shot("4-prompt-remove-it");

    // “borscht”: a checklist with units; Add selected puts the ticked ingredients in the store's cart.
    await click("borscht");
    const checklist = page.locator("#chat-log form.checklist").last();
    await checklist.waitFor();
    expect(await checklist.locator("label", { hasText: "Beetroot" }).textContent()).toBe("Beetroot (0.5 kg)");
    expect(await checklist.locator("label", { hasText: "Tomato paste" }).textContent()).toBe("Tomato paste (1 pc)");
    const ticked = await checklist.locator("input:checked").evaluateAll((boxes) => boxes.map((box) => (box as HTMLInputElement).value));
    expect(ticked.length).toBeGreaterThan(1);
    await checklist.getByRole("button", { name: "Add selected" }).click();
    await eventually(async () => (await storeCart(sessionId)).map((line) => line.sku).sort()).toEqual([...ticked].sort());
    const lines = await storeCart(sessionId);
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe(String(unitsIn(lines)));
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    expect(await page.locator('#assistant-cart li[data-sku="veg-004"] .line-qty').textContent()).toBe("0.5 kg");
    await shot("5-prompt-borscht");
    expect(errors).toEqual([]);
  });

  it("adds from a card with the keyboard: badge, store cart and the database agree", async () => {
    const { page, sessionId, say, shot } = await open();
    await say("show me milk");
    const card = page.locator('#chat-log .card[data-sku="milk-001"]').first();
    await card.getByRole("button", { name: /^More / }).press("Enter");
    expect(await page.locator("#product-click").getAttribute("data-sku")).toBeNull();
    await card.getByRole("button", { name: /^Add / }).press("Enter");
    // onProductClick fired with the card and the chosen quantity.
    expect(await page.locator("#product-click").getAttribute("data-sku")).toBe("milk-001");
    expect(await page.locator("#product-click").textContent()).toMatch(/× 2$/);

    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("2");
    await page.locator('#store-cart li[data-sku="milk-001"][data-quantity="2"]').waitFor();
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    expect(await storeCart(sessionId)).toEqual([expect.objectContaining({ sku: "milk-001", quantity: 2 })]);
    const row = demo.stub.deliveries.find((d) => d.kind === "cart" && (d.request.body as { session_id?: string }).session_id === sessionId);
    expect(row?.response?.body).toEqual({ ok: true });
    await page.locator('#webhook-rows tr[data-kind="cart"]').first().waitFor();
    await shot("6-keyboard-add");
  });

  it("removes a product when asked by name, in the store too", async () => {
    const { page, sessionId, say } = await open();
    await say("add milk-001");
    await eventually(async () => storeCart(sessionId)).toEqual([expect.objectContaining({ sku: "milk-001" })]);
    await say("remove the Lactel milk");
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("0");
    await page.locator("#store-cart li.empty").waitFor();
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    expect(await storeCart(sessionId)).toEqual([]);
  });

  it("restores the conversation after a reload: the tab's history from sessionStorage, the cart from session_restored", async () => {
    const { page, sessionId, errors, say, shot } = await open();
    await say("show me milk");
    await page.locator("#chat-log .card").first().waitFor();
    await say("add milk-004");
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("1");
    const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem("vz-session-store-1") ?? "null"));
    expect(saved.conversation_id).toMatch(/\S/);
    expect(saved.messages).toEqual(expect.arrayContaining([{ role: "user", text: "show me milk" }, { role: "user", text: "add milk-004" }]));

    await page.reload();
    await page.getByText("Conversation restored — 1 item(s) in your cart.").waitFor();
    // The history is drawn again: what the shopper typed and the cards they were shown.
    await page.locator("#chat-log .msg-user", { hasText: "show me milk" }).waitFor();
    await page.locator("#chat-log .msg-user", { hasText: "add milk-004" }).waitFor();
    expect(await page.locator('#chat-log .card[data-sku="milk-001"]').count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => JSON.parse(sessionStorage.getItem("vz-session-store-1")!).conversation_id)).toBe(saved.conversation_id);
    expect(await page.locator("#session-id").textContent()).toBe(sessionId);
    await page.locator('#assistant-cart li[data-sku="milk-004"]').waitFor();
    await page.locator('#store-cart li[data-sku="milk-004"]').waitFor();
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    expect(await page.locator("#cart-badge").getAttribute("data-count")).toBe("1");
    expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => key.includes("conversation")))).toEqual([]);
    await shot("7-restored");
    expect(errors).toEqual([]);
  });

  it("a second tab keeps its own conversation (sessionStorage is per tab)", async () => {
    const { page, say } = await open();
    await say("show me milk");
    await page.locator("#chat-log .card").first().waitFor();
    const second = await page.context().newPage();
    await second.goto(demo.storeUrl);
    await eventually(() => second.locator("#connection").getAttribute("data-state")).toBe("open");
    const conversationOf = (tab: Page) => tab.evaluate(() => JSON.parse(sessionStorage.getItem("vz-session-store-1") ?? "{}").conversation_id ?? null);
    await eventually(() => conversationOf(second)).toMatch(/\S/);
    expect(await conversationOf(second)).not.toBe(await conversationOf(page));
    expect(await second.locator("#chat-log .msg-user").count()).toBe(0);
    expect(await second.locator("#session-id").textContent()).toBe(await page.locator("#session-id").textContent());
  });

  it("a meal plan survives a reload (pending tools) and approving it adds the products", async () => {
    const { page, sessionId, errors, say, shot } = await open();
    await say("meal plan for 1 day");
    await page.locator("#chat-log form.meal-plan").waitFor();

    await page.reload();
    await page.getByText(/Conversation restored/).waitFor();
    const plan = page.locator("#chat-log form.meal-plan");
    await plan.waitFor();
    expect(await plan.count()).toBe(1);
    expect(await plan.locator(".plan-day").count()).toBe(1);
    await plan.getByRole("button", { name: "Approve and add to cart" }).click();
    await page.locator("#chat-log .msg-agent", { hasText: "from the meal plan" }).waitFor();
    await eventually(async () => (await storeCart(sessionId)).length).toBeGreaterThan(0);
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    await shot("7b-meal-plan");
    expect(errors).toEqual([]);
  });

  it("a checklist still open is drawn again after a reload", async () => {
    const { page, say } = await open();
    await say("borscht");
    await page.locator("#chat-log form.checklist").waitFor();
    await page.reload();
    await page.getByText(/Conversation restored/).waitFor();
    await page.locator("#chat-log form.checklist").waitFor();
    expect(await page.locator("#chat-log form.checklist").count()).toBe(1);
  });

  it("details: “tell me more about Lactel milk” shows the facts, the live price and one card", async () => {
    const { page, say } = await open();
    await say("tell me more about Lactel milk");
    await page.locator("#chat-log .msg-agent", { hasText: "Category: Dairy > Milk" }).waitFor();
    const last = page.locator("#chat-log ul.cards").last();
    expect(await last.locator(".card").count()).toBe(1);
    expect(await last.locator(".card").getAttribute("data-sku")).toBe("milk-001");
    const milk = await storeProduct("milk-001");
    expect(await last.locator(".price-now").textContent()).toBe(hryvnia(milk.promo_price ?? milk.price));
  });

  it("adds a weighed product from the catalog grid; the badge counts it as one unit", async () => {
    const { page, sessionId, shot } = await open();
    await page.locator("#search-input").fill("tomatoes");
    await page.locator("#search-input").press("Enter");
    const tile = page.locator('#product-grid li[data-sku="veg-001"]');
    await tile.getByRole("button", { name: /^Ask the assistant to add/ }).click();

    await page.locator('#store-cart li[data-sku="veg-001"]').waitFor();
    const line = (await storeCart(sessionId)).find((item) => item.sku === "veg-001");
    expect(line?.unit).toBe("kg");
    expect(await page.locator('#store-cart li[data-sku="veg-001"]').getAttribute("data-quantity")).toBe(String(line?.quantity));
    expect(await page.locator('#store-cart li[data-sku="veg-001"] .line-qty').textContent()).toBe(`${line?.quantity} kg`);
    expect(await page.locator('#assistant-cart li[data-sku="veg-001"] .line-qty').textContent()).toBe(`${line?.quantity} kg`);
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("1");
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    await shot("8-grid-add");
  });

  it("explains a refused key and does not reconnect", async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.route("**/demo/config.json", async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), publicKey: "pk_test_unknown" } });
    });
    await page.goto(demo.storeUrl);
    const alert = page.locator('#chat-log .msg-error[data-code="auth_error"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("refused this page's key");
    expect(await page.locator("#connection").getAttribute("data-state")).toBe("closed");
    await page.screenshot({ path: join(OUTPUT_DIR, "9-refused-key.png") });
  });
});

describe.skipIf(skipBrowserTests)(`the demo page with WEBHOOK_BASE_URL on another backend${skippedBecause}`, () => {
  let demo: Demo;
  let backend: StoreServer;
  let browser: LaunchedChromium;
  const contexts: BrowserContext[] = [];
  const secret = "whsec_own_backend_demo";

  beforeAll(async () => {
    await mkdir(OUTPUT_DIR, { recursive: true });
    // "Your backend": another store with its own database, on its own port.
    backend = await startStoreServer({ port: 0, host: "127.0.0.1", databasePath: ":memory:", secret, logger: silentLogger });
    demo = await startDemo({
      port: 0,
      stubPort: 0,
      databasePath: ":memory:",
      secret,
      webhookBaseUrl: `${backend.url}/api/vizochok`,
      logger: silentLogger,
    });
    browser = await launchChromium();
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    await backend?.close();
  });

  it("shows the assistant's cart only and says the store panel is off because the webhooks go elsewhere", async () => {
    const { page, sessionId, errors, say, shot } = await openShopper(browser, contexts, demo.storeUrl);
    const notice = page.locator("#store-cart-off");
    await notice.waitFor();
    expect(await notice.textContent()).toContain(`the assistant's webhooks go to ${backend.url}/api/vizochok`);
    expect(await page.locator("#store-cart-panel").isHidden()).toBe(true);

    await say("add milk-001");
    await page.locator('#assistant-cart li[data-sku="milk-001"]').waitFor();
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("1");
    // The add went to the other backend, and the page says nothing about carts differing.
    const cart = await backend.storeApp.store.cart({ store_id: demo.storeId, session_id: sessionId });
    expect(cart.items).toEqual([expect.objectContaining({ sku: "milk-001", quantity: 1 })]);
    expect(await page.locator("#cart-agreement").isHidden()).toBe(true);
    expect(await page.getByText("differs").count()).toBe(0);
    await shot("10-own-backend");
    expect(errors).toEqual([]);
  });
});
