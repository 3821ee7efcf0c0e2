import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import supertest from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signWebhook } from "vizochok-merchant-kit";

// Runs the README's quick-start block in process, on the repository's source; only
// `app.listen(3000)` is swapped for an export so the test can talk to the app without a fixed
// port. test/package/readme-blocks.test.ts runs it, and every other block, from the packed package.
const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const block = /```ts quick-start\n([\s\S]*?)```/.exec(readme)?.[1];
const generated = fileURLToPath(new URL("./.readme-quick-start.generated.ts", import.meta.url));
const secret = "whsec_readme";
let app: Express;

beforeAll(async () => {
  if (block === undefined) throw new Error("README has no ```ts quick-start block");
  expect(block).toContain("app.listen(3000);");
  writeFileSync(generated, block.replace("app.listen(3000);", "export { app };"));
  process.env.VIZOCHOK_WEBHOOK_SECRET = secret;
  ({ app } = (await import(generated)) as { app: Express });
});
afterAll(() => rmSync(generated, { force: true }));

const send = (path: string, body: object) => {
  const raw = JSON.stringify(body);
  return supertest(app)
    .post(`/api/vizochok${path}`)
    .set({ "content-type": "application/json", ...signWebhook({ secret, body: raw }) })
    .send(raw);
};

describe("README quick start", () => {
  it("fits on one screen: at most 40 lines", () => {
    expect(block!.trim().split("\n").length).toBeLessThanOrEqual(40);
  });

  it("answers a signed products webhook", async () => {
    const res = await send("/check-products", { skus: ["milk-001", "bread-002"], store_id: "store-1" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      products: [
        { sku: "milk-001", price: 42.5, in_stock: true },
        { sku: "bread-002", price: 31.9, in_stock: true },
      ],
    });
  });

  it("adds to the session's cart, and refuses a 51st unit with the store's own reason", async () => {
    const add = (quantity: number) => send("/cart", { action: "add", store_id: "store-1", session_id: "s", sku: "milk-001", quantity });
    expect((await add(4)).body).toEqual({ ok: true });
    expect((await add(47)).body).toEqual({ ok: false, reason: "max_50_per_customer" });
    expect((await add(46)).body).toEqual({ ok: true });
  });

  it("refuses an unknown SKU", async () => {
    const res = await send("/cart", { action: "add", store_id: "store-1", session_id: "s", sku: "tea-404" });
    expect(res.body).toEqual({ ok: false, reason: "product_not_found" });
  });

  it("refuses an unsigned request, and logs the refusal as one JSON warning", async () => {
    // The block keeps the default logger (warnings to stderr); the test captures what it writes.
    const warnings: string[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation((line: string) => void warnings.push(line));
    try {
      const res = await supertest(app).post("/api/vizochok/cart").set("content-type", "application/json").send("{}");
      expect(res.status).toBe(401);
    } finally {
      warn.mockRestore();
    }
    expect(warnings.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: "warn", msg: "webhook rejected", kind: "cart", status: 401, code: "missing_signature" }),
    ]);
  });

  it("serves the cart GET from the same carts: the session's 50 units, another session's nothing", async () => {
    const get = (session: string) => supertest(app).get(`/api/vizochok/cart/items?store_id=store-1&session_id=${session}`).set({ ...signWebhook({ secret }) });
    expect((await get("s")).body).toEqual({ items: [{ sku: "milk-001", name: "milk-001", price: 42.5, quantity: 50 }] });
    expect((await get("other")).body).toEqual({ items: [] });
  });
});
