// Catalog upsert, jobs and webhook settings over HTTP with sk_ bearer auth.
import { afterEach, describe, expect, it } from "vitest";
import { createVizochokStub, generateWebhookSecret, type VizochokStub } from "vizochok-merchant-kit/testing";

let stub: VizochokStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function start(enforceProductionUrls = false) {
  stub = await createVizochokStub({
    enforceProductionUrls,
    tenants: [
      {
        id: "shop",
        publicKey: "pk_test_admin",
        secretKey: "sk_test_admin",
        stores: ["store-1"],
        webhooks: { products_url: "https://shop.example.com/api/vizochok/check-products", secret: "whsec_admin" },
      },
    ],
  });
  return stub;
}

const call = (path: string, init: { method?: string; key?: string; body?: unknown } = {}) =>
  fetch(`${stub!.url}${path}`, {
    method: init.method ?? "GET",
    headers: { "content-type": "application/json", ...(init.key !== "" ? { authorization: `Bearer ${init.key ?? "sk_test_admin"}` } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

describe("admin API", () => {
  it("401 without a key, with a pk_ key, or with an unknown key", async () => {
    await start();
    for (const key of ["", "pk_test_admin", "sk_unknown"]) {
      const response = await call("/api/v1/admin/webhooks", { key });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: "unauthorized" });
    }
  });

  it("PUT /catalog/products → 202 job; the job reports created, updated, unchanged and errors; search sees the products", async () => {
    await start();
    const first = await call("/api/v1/catalog/products", {
      method: "PUT",
      body: { products: [{ sku: "a-1", name: "Apple Juice" }, { sku: "b-1", name: "Banana" }, { name: "no sku" }] },
    });
    expect(first.status).toBe(202);
    const accepted = await first.json();
    expect(accepted).toMatchObject({ total: 3, to_embed: 2, unchanged: 0, status: "accepted" });
    const job = await (await call(`/api/v1/catalog/jobs/${accepted.job_id}`)).json();
    expect(job).toMatchObject({ tenant_id: "shop", status: "complete", total: 3, created: 2, updated: 0, embedded: 2 });
    expect(job.errors).toEqual([expect.objectContaining({ index: 2 })]);

    const second = await (
      await call("/api/v1/catalog/products", { method: "PUT", body: { products: [{ sku: "a-1", name: "Apple Juice" }, { sku: "b-1", name: "Bananas" }] } })
    ).json();
    expect(second).toMatchObject({ to_embed: 1, unchanged: 1 });
    expect(stub!.tools("shop").rankCatalog("banana")[0]?.sku).toBe("b-1");
    expect((await call("/api/v1/catalog/jobs/not-a-job")).status).toBe(404);
  });

  it("400 for a body without products", async () => {
    await start();
    expect((await call("/api/v1/catalog/products", { method: "PUT", body: { items: [] } })).status).toBe(400);
  });

  it("GET /admin/webhooks never shows the secret; PATCH changes settings", async () => {
    await start();
    expect(await (await call("/api/v1/admin/webhooks")).json()).toEqual({
      products_url: "https://shop.example.com/api/vizochok/check-products",
      cart_url: null,
      cart_get_url: null,
      has_secret: true,
      timeout_seconds: 5,
    });
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const patched = await call("/api/v1/admin/webhooks", { method: "PATCH", body: { cart_url: "https://shop.example.com/api/vizochok/cart", secret, timeout_seconds: 3 } });
    expect(await patched.json()).toEqual({ ok: true, has_secret: true });
    const view = await (await call("/api/v1/admin/webhooks")).json();
    expect(view).toMatchObject({ cart_url: "https://shop.example.com/api/vizochok/cart", timeout_seconds: 3 });
    expect(JSON.stringify(view)).not.toContain(secret);
  });

  it("with enforceProductionUrls, PATCH refuses HTTP, localhost and private addresses", async () => {
    await start(true);
    for (const url of ["http://shop.example.com/x", "https://localhost/x", "https://127.0.0.1/x", "https://10.1.2.3/x", "https://192.168.0.5/x", "https://[::1]/x"]) {
      const response = await call("/api/v1/admin/webhooks", { method: "PATCH", body: { products_url: url } });
      expect(response.status, url).toBe(400);
    }
    expect((await call("/api/v1/admin/webhooks", { method: "PATCH", body: { products_url: "https://shop.example.com/y" } })).status).toBe(200);
  });

  it("with enforceProductionUrls, a loopback tenant URL is refused at start", async () => {
    await expect(
      createVizochokStub({
        enforceProductionUrls: true,
        tenants: [{ id: "t", publicKey: "pk_t", secretKey: "sk_t", stores: ["s"], webhooks: { products_url: "http://127.0.0.1:3000/p", secret: "whsec_t" } }],
      }),
    ).rejects.toThrow(/products_url/);
  });
});
