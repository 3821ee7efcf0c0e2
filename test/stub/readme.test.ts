// Runs the README's ```ts stub-test block as written, against the reference store on a free port.
// The block reads its backend and secret from the environment, so nothing in it is rewritten.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { silentLogger } from "vizochok-merchant-kit";
import { generateWebhookSecret } from "vizochok-merchant-kit/testing";
import { startStoreServer } from "../../reference-store/server.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const block = /```ts stub-test\n([\s\S]*?)```/.exec(readme)?.[1];
if (block === undefined) throw new Error("README has no ```ts stub-test block");
const generated = fileURLToPath(new URL("./.readme-stub.generated.ts", import.meta.url));

const secret = generateWebhookSecret();
const store = await startStoreServer({ port: 0, host: "127.0.0.1", databasePath: ":memory:", secret, logger: silentLogger });
process.env.STORE_URL = `${store.url}/api/vizochok`;
process.env.VIZOCHOK_WEBHOOK_SECRET = secret;
afterAll(async () => {
  rmSync(generated, { force: true });
  delete process.env.STORE_URL;
  delete process.env.VIZOCHOK_WEBHOOK_SECRET;
  await store.close();
});

writeFileSync(generated, block);
// The block's own beforeAll, test and afterAll register here, as if it were this file.
await import(generated);

it("the README block's add reached the store: the line is in SQLite", () => {
  const rows = store.storeApp.db
    .prepare("SELECT sku, quantity_milli FROM cart_lines JOIN carts USING (cart_id) WHERE session_id = ?")
    .all("u1") as Array<{ sku: string; quantity_milli: number }>;
  expect(rows).toHaveLength(1);
  expect(rows[0]!.quantity_milli).toBe(1000);
});
