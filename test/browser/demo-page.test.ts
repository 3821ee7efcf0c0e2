import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemo, type Demo } from "../../reference-store/demo.js";
import { launchChromium, type LaunchedChromium } from "./chromium.js";

const OUTPUT_DIR = resolve(fileURLToPath(new URL("../../test-output/browser", import.meta.url)));

interface StoreCart {
  items: Array<{ sku: string; quantity: number }>;
}
interface StoreProduct {
  sku: string;
  price: number;
  promo_price?: number | null;
}

/** Under a loaded CI machine a frame can take longer than expect.poll's 1 s default. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

const hryvnia = (value: number) => `${value.toFixed(2).replace(".", ",")} грн`;

describe("the demo page in Chromium", () => {
  let dir: string;
  let demo: Demo;
  let browser: LaunchedChromium;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vizochok-demo-"));
    await mkdir(OUTPUT_DIR, { recursive: true });
    demo = await startDemo({ port: 0, stubPort: 0, databasePath: join(dir, "store.db") });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function storeCart(sessionId: string): Promise<StoreCart> {
    const url = new URL("/api/cart", demo.storeUrl);
    url.search = new URLSearchParams({ store_id: demo.storeId, session_id: sessionId }).toString();
    return (await (await fetch(url)).json()) as StoreCart;
  }

  async function storePrice(sku: string): Promise<number> {
    const url = new URL("/api/products", demo.storeUrl);
    url.search = new URLSearchParams({ store_id: demo.storeId, q: sku }).toString();
    const body = (await (await fetch(url)).json()) as { items: StoreProduct[] };
    const product = body.items.find((item) => item.sku === sku);
    if (!product) throw new Error(`${sku} not in the store's API`);
    return typeof product.promo_price === "number" ? product.promo_price : product.price;
  }

  async function say(text: string) {
    await page.locator("#chat-input").fill(text);
    await page.locator("#chat-input").press("Enter");
  }

  const shot = (name: string) => page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });

  it("shows cards with the store's prices for “show me milk”", async () => {
    await page.goto(demo.storeUrl);
    await eventually(() => page.locator("#connection").getAttribute("data-state")).toBe("open");
    await say("show me milk");
    const cards = page.locator("#chat-log .card");
    await cards.first().waitFor();

    const skus = await cards.evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.sku ?? ""));
    expect(skus).toContain("milk-001");
    // milk-003 has no stock in store-1: the products webhook hides it.
    expect(skus).not.toContain("milk-003");
    for (const sku of skus) {
      const shown = await page.locator(`#chat-log .card[data-sku="${sku}"] .price-now`).first().textContent();
      expect(shown, sku).toBe(hryvnia(await storePrice(sku)));
    }
    await eventually(() => page.locator('#webhook-rows tr[data-kind="products"]').count()).toBeGreaterThan(0);
    await shot("1-search");
  });

  it("adds from a card with the keyboard: badge, store cart and the database agree", async () => {
    const sessionId = (await page.locator("#session-id").textContent()) ?? "";
    const card = page.locator('#chat-log .card[data-sku="milk-001"]').first();
    await card.getByRole("button", { name: /^More / }).press("Enter");
    await card.getByRole("button", { name: /^Add / }).press("Enter");

    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("1");
    await page.locator('#store-cart li[data-sku="milk-001"][data-quantity="2"]').waitFor();
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    expect((await storeCart(sessionId)).items).toEqual([expect.objectContaining({ sku: "milk-001", quantity: 2 })]);
    await page.locator('#webhook-rows tr[data-kind="cart"]').first().waitFor();
    await shot("2-added");
  });

  it("removes it when asked by name, in the store too", async () => {
    const sessionId = (await page.locator("#session-id").textContent()) ?? "";
    await say("remove the Lactel milk");
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("0");
    await page.locator("#store-cart li.empty").waitFor();
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    expect((await storeCart(sessionId)).items).toEqual([]);
    await shot("3-removed");
  });

  it("restores the session after a reload", async () => {
    const sessionId = (await page.locator("#session-id").textContent()) ?? "";
    const conversationId = await page.evaluate(() =>
      Object.entries(localStorage).find(([key]) => key.startsWith("vizochok.conversation."))?.[1],
    );
    expect(conversationId).toMatch(/\S/);
    await say("add milk-004");
    await eventually(() => page.locator("#cart-badge").getAttribute("data-count")).toBe("1");

    await page.reload();
    await page.getByText("Conversation restored — 1 item(s) in your cart.").waitFor();
    expect(await page.locator("#session-id").textContent()).toBe(sessionId);
    await page.locator('#assistant-cart li[data-sku="milk-004"]').waitFor();
    await page.locator('#store-cart li[data-sku="milk-004"]').waitFor();
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    expect(await page.locator("#cart-badge").getAttribute("data-count")).toBe("1");
    await shot("4-restored");
    expect(pageErrors).toEqual([]);
  });

  it("turns “borscht” into a checklist and adds the checked ingredients", async () => {
    const sessionId = (await page.locator("#session-id").textContent()) ?? "";
    await say("borscht");
    const checklist = page.locator("#chat-log form.checklist").last();
    await checklist.waitFor();
    const checked = await checklist.locator("input:checked").evaluateAll((boxes) => boxes.map((box) => (box as HTMLInputElement).value));
    expect(checked.length).toBeGreaterThan(0);
    await checklist.getByRole("button", { name: "Add selected" }).click();

    // Done when the badge counts every line the store now holds, the checked ingredients among them.
    await eventually(async () => {
        const items = (await storeCart(sessionId)).items;
        const added = items.filter((item) => checked.includes(item.sku)).length;
        const badge = await page.locator("#cart-badge").getAttribute("data-count");
        return added > 0 && badge === String(items.length);
      })
      .toBe(true);
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    await shot("5-checklist");
  });

  it("adds a weighed product from the catalog grid through the assistant", async () => {
    const sessionId = (await page.locator("#session-id").textContent()) ?? "";
    await page.locator("#search-input").fill("tomatoes");
    await page.locator("#search-input").press("Enter");
    const tile = page.locator('#product-grid li[data-sku="veg-001"]');
    await tile.getByRole("button", { name: /^Ask the assistant to add/ }).click();

    await page.locator('#store-cart li[data-sku="veg-001"]').waitFor();
    const line = (await storeCart(sessionId)).items.find((item) => item.sku === "veg-001");
    expect(await page.locator('#store-cart li[data-sku="veg-001"]').getAttribute("data-quantity")).toBe(String(line?.quantity));
    expect(await page.locator('#store-cart li[data-sku="veg-001"] .line-qty').textContent()).toBe(`${line?.quantity} kg`);
    await eventually(() => page.locator("#cart-agreement").getAttribute("data-agree")).toBe("true");
    await shot("6-grid-add");
  });

  it("explains a refused key and does not reconnect", async () => {
    const other = await browser.context.newPage();
    await other.route("**/demo/config.json", async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), publicKey: "pk_test_unknown" } });
    });
    await other.goto(demo.storeUrl);
    const alert = other.locator('#chat-log .msg-error[data-code="auth_error"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain("refused this page's key");
    expect(await other.locator("#connection").getAttribute("data-state")).toBe("closed");
    await other.screenshot({ path: join(OUTPUT_DIR, "7-refused-key.png") });
    await other.close();
  });
});
