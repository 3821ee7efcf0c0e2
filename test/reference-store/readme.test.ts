import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import supertest from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signWebhook } from "vizochok-merchant-kit";

// Runs docs/reference-store.md's embedding block as written, with four swaps: imports point at this
// repository, the database goes to a temp dir, `app.listen(3000)` becomes an export, and the
// store's `close` is kept so the database is closed before its directory is removed.
const readme = readFileSync(new URL("../../docs/reference-store.md", import.meta.url), "utf8");
const block = /```ts reference-store-embed\n([\s\S]*?)```/.exec(readme)?.[1];
const generated = fileURLToPath(new URL("./.readme-reference-store.generated.ts", import.meta.url));
const secret = "whsec_readme_store";
const dir = mkdtempSync(join(tmpdir(), "readme-store-"));
let app: Express;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (block === undefined) throw new Error("docs/reference-store.md has no ```ts reference-store-embed block");
  expect(block).toContain("app.listen(3000);");
  expect(block).toContain('"./data/store.db"');
  expect(block).toContain("const { app } = createStoreApp(");
  const source = block
    .replace('"./reference-store/app.js"', '"../../reference-store/app.js"')
    .replace('"./data/store.db"', JSON.stringify(join(dir, "store.db")))
    .replace("const { app } = createStoreApp(", "const { app, close } = createStoreApp(")
    .replace("app.listen(3000);", "export { app, close };");
  writeFileSync(generated, source);
  process.env.VIZOCHOK_WEBHOOK_SECRET = secret;
  ({ app, close } = (await import(generated)) as { app: Express; close: () => Promise<void> });
});
afterAll(async () => {
  rmSync(generated, { force: true });
  // The store's audit batch may still be due: close (which writes it) before the directory goes.
  await close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe("docs/reference-store.md: the reference store inside your own server", () => {
  it("answers a signed cart webhook, logs it as one JSON line, and shows the cart on the storefront API", async () => {
    const body = JSON.stringify({ action: "add", store_id: "store-1", session_id: "readme", sku: "milk-001", quantity: 2 });
    // The block keeps the store's default logger (JSON lines on stdout); the test captures them.
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    let added;
    try {
      added = await supertest(app)
        .post("/api/vizochok/cart")
        .set({ "content-type": "application/json", ...signWebhook({ secret, body }) })
        .send(body);
      // The logger writes the lines of one event-loop turn together, on the next turn.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      write.mockRestore();
    }
    expect(added.body).toEqual({ ok: true });
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([expect.objectContaining({ level: "info", msg: "webhook answered", kind: "cart", status: 200 })]);
    expect(lines.join("")).not.toContain(secret);
    const cart = await supertest(app).get("/api/cart?store_id=store-1&session_id=readme");
    expect(cart.body.items).toEqual([expect.objectContaining({ sku: "milk-001", quantity: 2, price: 38.9, unit: "pcs" })]);
  });

  it("still serves the store's own routes with static files mounted after them", async () => {
    const missing = await supertest(app).get("/no-such-file.txt");
    expect(missing.status).toBe(404);
    expect((await supertest(app).get("/healthz")).body.ok).toBe(true);
  });
});
