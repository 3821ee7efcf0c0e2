// The quick start as a consumer project compiles and runs it, from the installed package: the
// node:http handler serves, the fetch handler answers a Web Request, the main entry signs.
// The same file is type-checked and run under nodenext, bundler, CommonJS and node10 resolution.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { signWebhook, type WebhookHandlers } from "vizochok-merchant-kit";
import { CONTRACT_CASES } from "vizochok-merchant-kit/contract";
import { createNodeWebhookHandler } from "vizochok-merchant-kit/node";
import type { VizochokStubOptions } from "vizochok-merchant-kit/testing";
import { createWebWebhookHandler } from "vizochok-merchant-kit/web";

const secret = "whsec_consumer";
const handlers: WebhookHandlers = {
  products: ({ skus }) => ({ products: skus.filter((sku) => sku === "milk-001").map((sku) => ({ sku, price: 42.5, in_stock: true })) }),
  add: ({ quantity = 1 }) => (quantity > 3 ? { ok: false, reason: "max_3_per_customer" } : { ok: true }),
  cartGet: ({ session_id }) => ({ items: [{ sku: "milk-001", name: `milk for ${session_id}`, price: 42.5, quantity: 2 }] }),
};
const quiet = { info() {}, warn() {}, error() {} };
const stubPort: VizochokStubOptions["port"] = 0;

async function main(): Promise<void> {
  const server = createServer(createNodeWebhookHandler({ secret, handlers, logger: quiet }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const response = await fetch(origin + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const products = JSON.stringify({ skus: ["milk-001", "bread-002"], store_id: "store-1" });
  const add = JSON.stringify({ action: "add", store_id: "store-1", session_id: "s1", sku: "milk-001", quantity: 4 });
  const signed = signWebhook({ secret, body: products });
  const results = {
    products: await post("/check-products", products, { ...signed }),
    add: await post("/cart", add, { ...signWebhook({ secret, body: add }) }),
    tampered: await post("/check-products", products.replace("store-1", "store-2"), { ...signed }),
    web: await (async () => {
      const handle = createWebWebhookHandler({ secret, handlers, logger: quiet, paths: { cartGet: "/api/vizochok/cart/items" } });
      const response = await handle(new Request("https://shop.example/api/vizochok/cart/items?store_id=store-1&session_id=s2", { headers: { ...signWebhook({ secret }) } }));
      return { status: response.status, body: (await response.json()) as unknown };
    })(),
    contractCases: CONTRACT_CASES.length,
    stubPort,
  };
  server.close();
  console.log(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
