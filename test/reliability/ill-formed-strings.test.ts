// A lone UTF-16 surrogate (JSON "\ud800") cannot be stored as UTF-8: requests carrying one are
// rejected at validation and nothing reaches the database.
import supertest from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { signWebhook, silentLogger } from "vizochok-merchant-kit";
import { createVizochokStub } from "vizochok-merchant-kit/testing";
import { createStoreApp } from "../../reference-store/app.js";

const secret = "whsec_ill_formed";
const storeApp = createStoreApp({ databasePath: ":memory:", secret, logger: silentLogger });
afterAll(() => storeApp.close());

function post(path: string, payload: unknown) {
  const body = JSON.stringify(payload);
  // JSON.stringify writes a lone surrogate as the escape \ud800: the bytes sent are well-formed UTF-8.
  return supertest(storeApp.app)
    .post(`/api/vizochok/${path}`)
    .set({ "content-type": "application/json", ...signWebhook({ secret, body }) })
    .send(body);
}

const rows = (table: string) => storeApp.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get();

describe("lone surrogates in webhook requests", () => {
  const add = { action: "add", store_id: "store-1", session_id: "s-1", sku: "milk-001", quantity: 1 };
  for (const [field, value] of [
    ["session_id", "s\ud800"],
    ["store_id", "\udc00store-1"],
    ["sku", "milk-001\ud83d"],
    ["name", "Milk \ude00"],
  ] as const) {
    it(`cart add with an ill-formed ${field}: ok false, missing_params, no cart written`, async () => {
      const answer = await post("cart", { ...add, [field]: value });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ ok: false, reason: "missing_params" });
      expect(rows("carts")).toBe(0);
      expect(rows("cart_lines")).toBe(0);
    });
  }

  it("cart remove with an ill-formed sku: missing_params", async () => {
    const answer = await post("cart", { action: "remove", store_id: "store-1", session_id: "s-1", sku: "\ud800" });
    expect(answer.body).toEqual({ ok: false, reason: "missing_params" });
  });

  it("a well-formed emoji (a surrogate pair) is accepted as a session id", async () => {
    const answer = await post("cart", { ...add, session_id: "shopper-\ud83d\ude00" });
    expect(answer.body).toEqual({ ok: true });
    const cart = await supertest(storeApp.app).get(`/api/cart?store_id=store-1&session_id=${encodeURIComponent("shopper-😀")}`);
    expect(cart.body.items).toEqual([expect.objectContaining({ sku: "milk-001", quantity: 1 })]);
  });

  it("products with an ill-formed SKU or store id: 400 invalid_request", async () => {
    for (const payload of [{ skus: ["milk-001", "\udbff"], store_id: "store-1" }, { skus: ["milk-001"], store_id: "store-\ud800" }]) {
      const answer = await post("check-products", payload);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: "invalid_request", message: expect.stringContaining("well-formed") });
    }
  });
});

describe("lone surrogates in the stub's catalog upsert", () => {
  it("the product is refused in the job's errors and never enters the catalog", async () => {
    const stub = await createVizochokStub({
      tenants: [{ id: "t", publicKey: "pk_t", secretKey: "sk_t", stores: ["s"], webhooks: { products_url: "http://127.0.0.1:9/p", secret } }],
    });
    try {
      const headers = { authorization: "Bearer sk_t", "content-type": "application/json" };
      const put = await fetch(`${stub.url}/api/v1/catalog/products`, {
        method: "PUT",
        headers,
        body: JSON.stringify({ products: [{ sku: "ok-1", name: "Fine" }, { sku: "bad-\ud800", name: "Broken" }, { sku: "bad-2", name: "Tea \udfff" }] }),
      });
      const { job_id: jobId } = (await put.json()) as { job_id: string };
      const job = (await (await fetch(`${stub.url}/api/v1/catalog/jobs/${jobId}`, { headers })).json()) as { created: number; errors: Array<{ index: number }> };
      expect(job.created).toBe(1);
      expect(job.errors.map((error) => error.index)).toEqual([1, 2]);
      expect(stub.tools("t").getProduct("ok-1")).toBeDefined();
    } finally {
      await stub.close();
    }
  });
});
