import type { WebhookContext } from "vizochok-merchant-kit";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { withAudit, type AuditEntry, type AuditLog } from "../../reference-store/audit-log.js";
import type { StoreApp } from "../../reference-store/app.js";
import { createTestApp, signedPost } from "./helpers.js";

const apps: StoreApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

function appWithFailingAudit(): StoreApp {
  const storeApp = createTestApp();
  apps.push(storeApp);
  // What a busy or full database does to the audit insert, on demand.
  storeApp.db.exec(`CREATE TRIGGER audit_fails BEFORE INSERT ON webhook_audit BEGIN SELECT RAISE(ABORT, 'database is locked'); END`);
  return storeApp;
}

const cartLine = (storeApp: StoreApp, sku: string) =>
  storeApp.db
    .prepare("SELECT l.quantity_milli FROM carts c JOIN cart_lines l USING (cart_id) WHERE c.session_id = ? AND l.sku = ?")
    .pluck()
    .get("shopper", sku);
const reserved = (storeApp: StoreApp, sku: string) =>
  storeApp.db.prepare("SELECT reserved_milli FROM stock WHERE store_id = 'store-1' AND sku = ?").pluck().get(sku);

describe("withAudit() in the reference store", () => {
  it("a cart add whose audit row cannot be written commits nothing and answers 5xx; the retry applies it exactly once", async () => {
    const storeApp = appWithFailingAudit();
    const add = signedPost({ action: "add", store_id: "store-1", session_id: "shopper", sku: "milk", quantity: 2 });

    const first = await request(storeApp.app).post("/api/vizochok/cart").set(add.headers).send(add.body);
    expect([first.status, first.body.error]).toEqual([500, "handler_failed"]);
    expect(cartLine(storeApp, "milk")).toBeUndefined();
    expect(reserved(storeApp, "milk")).toBe(0);

    storeApp.db.exec("DROP TRIGGER audit_fails");
    const retry = await request(storeApp.app).post("/api/vizochok/cart").set(add.headers).send(add.body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ok: true });
    expect(cartLine(storeApp, "milk")).toBe(2_000);
    expect(reserved(storeApp, "milk")).toBe(2_000);
    expect(storeApp.audit.recent()).toMatchObject([{ action: "add", sku: "milk", outcome: "ok" }]);
  });

  it("a rejection whose audit row cannot be written is still answered with its reason", async () => {
    const storeApp = appWithFailingAudit();
    const add = signedPost({ action: "add", store_id: "store-1", session_id: "shopper", sku: "sold-out" });
    const response = await request(storeApp.app).post("/api/vizochok/cart").set(add.headers).send(add.body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: false, reason: "out_of_stock" });
  });

  it("a products answer stands when its audit row cannot be written", async () => {
    const storeApp = appWithFailingAudit();
    const products = signedPost({ store_id: "store-1", skus: ["milk"] });
    const response = await request(storeApp.app).post("/api/vizochok/check-products").set(products.headers).send(products.body);
    expect(response.status).toBe(200);
    expect(response.body.products).toMatchObject([{ sku: "milk", price: 42.5 }]);
  });
});

describe("withAudit() over any backend", () => {
  const context: WebhookContext = {
    kind: "cart",
    storeId: "store-1",
    sessionId: "shopper",
    requestId: "r1",
    deadline: 10_000,
    secretIndex: 0,
    signal: new AbortController().signal,
  };
  const brokenAudit: AuditLog = {
    record: () => {
      throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    },
    recent: () => [],
  };

  it.each([
    ["a synchronous", false],
    ["an asynchronous", true],
  ])("records the latency from the request's arrival to %s answer, to the millisecond", async (_name, async) => {
    // The request arrived at deadline - budget = 5,500; the handler takes 237 ms on the clock.
    let clock = 5_500;
    const rows: AuditEntry[] = [];
    const handlers = withAudit(
      {
        products: () => ({ products: [] }),
        add: () => {
          clock += 237;
          return async ? Promise.resolve({ ok: true as const }) : { ok: true as const };
        },
      },
      { audit: { record: (entry) => void rows.push(entry) }, now: () => clock, budgetMs: 4_500, logger: { info() {}, warn() {}, error() {} } },
    );
    await handlers.add!({ action: "add", store_id: "store-1", session_id: "shopper", sku: "milk" }, context);
    expect(rows).toEqual([expect.objectContaining({ at: 5_737, latency_ms: 237, outcome: "ok", action: "add", request_id: "r1" })]);
  });

  it("answers with the backend's answer, applied once, and logs the lost row", async () => {
    let applied = 0;
    const errors: Record<string, unknown>[] = [];
    const handlers = withAudit(
      {
        products: () => ({ products: [] }),
        add: async () => {
          applied++;
          return { ok: true };
        },
      },
      { audit: brokenAudit, budgetMs: 4_500, logger: { info() {}, warn() {}, error: (fields) => errors.push(fields) } },
    );
    await expect(handlers.add!({ action: "add", store_id: "store-1", session_id: "shopper", sku: "milk" }, context)).resolves.toEqual({ ok: true });
    expect(applied).toBe(1);
    expect(errors).toMatchObject([{ requestId: "r1", outcome: "ok", err: "database is locked" }]);
  });
});
