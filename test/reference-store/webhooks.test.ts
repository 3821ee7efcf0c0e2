import request from "supertest";
import { describe, expect, it } from "vitest";
import type { StoreApp } from "../../reference-store/app.js";
import { createClock, reservationMismatches, signedGetHeaders, signedPost } from "./helpers.js";
import { useTestApps } from "./test-apps.js";

const { start, databaseFile } = useTestApps();

const cart = (body: Record<string, unknown>) => ({ store_id: "store-1", session_id: "alice", ...body });

async function post(app: StoreApp, path: string, body: unknown, now?: number) {
  const signed = signedPost(body, now);
  return request(app.app).post(`/api/vizochok${path}`).set(signed.headers).send(signed.body);
}

async function cartGet(app: StoreApp, query: string, now?: number) {
  return request(app.app).get(`/api/vizochok/cart/items?${query}`).set(signedGetHeaders(now));
}

describe("POST /api/vizochok/check-products", () => {
  it("200 with this store's prices and promos; unknown SKUs left out", async () => {
    const app = start();
    const response = await post(app, "/check-products", { store_id: "store-1", skus: ["milk", "sold-out", "nope"] });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      products: [
        { sku: "milk", price: 42.5, in_stock: true, promo_price: 38.9, promo_label: "-8%" },
        { sku: "sold-out", price: 29.9, in_stock: false },
      ],
    });
  });

  it("401 without a valid signature", async () => {
    const app = start();
    const response = await request(app.app)
      .post("/api/vizochok/check-products")
      .set("content-type", "application/json")
      .send(JSON.stringify({ store_id: "store-1", skus: ["milk"] }));
    expect(response.status).toBe(401);
  });
});

describe("POST /api/vizochok/cart", () => {
  it.each([
    ["product_not_found", cart({ action: "add", sku: "nope" })],
    ["out_of_stock", cart({ action: "add", sku: "sold-out" })],
    ["quantity_exceeded", cart({ action: "add", sku: "milk", quantity: 11 })],
    ["not_in_cart", cart({ action: "remove", sku: "milk" })],
    ["missing_sku", cart({ action: "add" })],
    ["missing_params", cart({ action: "update_quantity", sku: "milk" })],
    ["missing_params", { action: "add", sku: "milk" }],
    ["max_3_per_customer", cart({ action: "add", sku: "chips", quantity: 4 })],
    ["not_multiple_of_0.1_kg", cart({ action: "add", sku: "cheese", quantity: 0.25 })],
    ["below_minimum_0.2_kg", cart({ action: "add", sku: "cheese", quantity: 0.1 })],
    ["price_changed", cart({ action: "add", sku: "milk", price: 42.5 })],
  ])("200 {ok: false, reason: %s}", async (reason, body) => {
    const app = start();
    const response = await post(app, "/cart", body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: false, reason });
  });

  it("walks a cart through add, update_quantity, remove and clear", async () => {
    const app = start();
    const steps: [Record<string, unknown>, unknown][] = [
      [cart({ action: "add", sku: "milk", quantity: 2, price: 38.9 }), [["milk", 2]]],
      [cart({ action: "add", sku: "cheese", quantity: 0.3 }), [["milk", 2], ["cheese", 0.3]]],
      [cart({ action: "update_quantity", sku: "milk", quantity: 5 }), [["milk", 5], ["cheese", 0.3]]],
      [cart({ action: "remove", sku: "cheese" }), [["milk", 5]]],
      [cart({ action: "clear" }), []],
    ];
    for (const [body, expected] of steps) {
      const response = await post(app, "/cart", body);
      expect(response.body).toEqual({ ok: true });
      const items = (await cartGet(app, "store_id=store-1&session_id=alice")).body.items as { sku: string; quantity: number }[];
      expect(items.map((i) => [i.sku, i.quantity])).toEqual(expected);
    }
    expect(reservationMismatches(app.db)).toEqual([]);
  });
});

describe("GET /api/vizochok/cart/items", () => {
  it("200 with the store's authoritative cart", async () => {
    const app = start();
    await post(app, "/cart", cart({ action: "add", sku: "milk", quantity: 2 }));
    await post(app, "/cart", cart({ action: "add", sku: "cheese", quantity: 0.5 }));
    const response = await cartGet(app, "store_id=store-1&session_id=alice");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: [
        { sku: "milk", name: "Milk 2.5% 1 l", price: 38.9, promo_price: 38.9, brand: "Lactel", quantity: 2, unit: "pcs" },
        { sku: "cheese", name: "Сир Звенигора Голландський", price: 359.9, promo_price: null, brand: "Звенигора", quantity: 0.5, unit: "kg" },
      ],
    });
  });

  it("200 {items: []} for an unknown session", async () => {
    const response = await cartGet(start(), "store_id=store-1&session_id=stranger");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: [] });
  });
});

describe("audit log", () => {
  it("records every decision with its outcome, reason and latency, and no secrets", async () => {
    const clock = createClock();
    const app = start({ now: clock.now });
    await post(app, "/check-products", { store_id: "store-1", skus: ["milk", "chips"] }, clock.now());
    await post(app, "/cart", cart({ action: "add", sku: "milk", quantity: 2 }), clock.now());
    await post(app, "/cart", cart({ action: "add", sku: "sold-out" }), clock.now());
    await cartGet(app, "store_id=store-1&session_id=alice", clock.now());
    const rows = app.audit.recent().reverse();
    expect(rows.map((r) => [r.kind, r.action, r.session_id, r.sku, r.quantity, r.outcome, r.reason])).toEqual([
      ["products", null, null, "milk,chips", null, "ok", null],
      ["cart", "add", "alice", "milk", 2, "ok", null],
      ["cart", "add", "alice", "sold-out", null, "rejected", "out_of_stock"],
      ["cart_get", null, "alice", null, null, "ok", null],
    ]);
    for (const row of rows) {
      expect(row.latency_ms).toBe(0); // the injected clock did not move
      expect(row.store_id).toBe("store-1");
      expect(row.request_id).toMatch(/\S/);
    }
    const everything = JSON.stringify(app.db.prepare("SELECT * FROM webhook_audit").all());
    expect(everything).not.toMatch(/sha256=|whsec_/);
  });
});

describe("deadline", () => {
  it("503 and nothing committed when the budget is spent before commit; the retry applies it exactly once", async () => {
    const path = databaseFile();
    const clock = createClock();
    // Same database, two budgets: the first delivery finds no time left, VIZOCHOK's retry does.
    // The first process's clock moves 1 ms at every reading, so its 1 ms budget is spent before commit.
    const ticking = () => (clock.advance(1), clock.now());
    const exhausted = start({ databasePath: path, now: ticking, budgetMs: 1 });
    const healthy = start({ databasePath: path, now: clock.now });
    const signed = signedPost(cart({ action: "add", sku: "milk", quantity: 3 }), clock.now());
    const send = (app: StoreApp) => request(app.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);

    const first = await send(exhausted);
    expect(first.status).toBe(503);
    expect(first.body.error).toBe("handler_timeout");
    expect(healthy.store.cart({ store_id: "store-1", session_id: "alice" }).items).toEqual([]);
    expect(healthy.db.prepare("SELECT reserved_milli FROM stock WHERE store_id = 'store-1' AND sku = 'milk'").pluck().get()).toBe(0);
    expect(exhausted.audit.recent(1)[0]).toMatchObject({ outcome: "deadline_exceeded", sku: "milk" });

    const retry = await send(healthy);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ok: true });
    clock.advance(1_000); // a byte-identical re-delivery (VIZOCHOK waits 1 s), not a new request
    const again = await send(healthy);
    expect(again.headers["x-vizochok-replayed"]).toBe("1");
    expect(healthy.store.cart({ store_id: "store-1", session_id: "alice" }).items.map((i) => i.quantity)).toEqual([3]);
    expect(reservationMismatches(healthy.db)).toEqual([]);
  });
});

describe("handler failure", () => {
  it("500 and nothing committed; the retry succeeds once the fault is gone", async () => {
    const app = start();
    app.db.exec(`CREATE TRIGGER fail_line BEFORE INSERT ON cart_lines BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const signed = signedPost(cart({ action: "add", sku: "milk", quantity: 2 }));
    const send = () => request(app.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
    const failed = await send();
    expect(failed.status).toBe(500);
    expect(failed.body.error).toBe("handler_failed");
    expect(app.db.prepare("SELECT reserved_milli FROM stock WHERE store_id = 'store-1' AND sku = 'milk'").pluck().get()).toBe(0);
    expect(app.db.prepare("SELECT COUNT(*) FROM carts").pluck().get()).toBe(0);
    expect(app.audit.recent(1)[0]).toMatchObject({ outcome: "failed" });

    app.db.exec("DROP TRIGGER fail_line");
    expect((await send()).body).toEqual({ ok: true });
    expect(app.store.cart({ store_id: "store-1", session_id: "alice" }).items.map((i) => i.quantity)).toEqual([2]);
  });
});

describe("replay guard in SQLite", () => {
  it("a re-delivery to another process on the same database gets the first answer without running again", async () => {
    const path = databaseFile();
    const clock = createClock();
    const a = start({ databasePath: path, now: clock.now });
    const b = start({ databasePath: path, now: clock.now });
    const signed = signedPost(cart({ action: "add", sku: "last-one" }), clock.now());
    const first = await request(a.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
    clock.advance(1_500);
    const second = await request(b.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
    expect(first.body).toEqual({ ok: true });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ok: true }); // not out_of_stock: the handler did not run twice
    expect(second.headers["x-vizochok-replayed"]).toBe("1");
    expect(b.audit.recent()).toHaveLength(1);
  });

  it("an identical add to another process right after the first was answered is the shopper's second add: it runs there", async () => {
    const path = databaseFile();
    const clock = createClock();
    const a = start({ databasePath: path, now: clock.now });
    const b = start({ databasePath: path, now: clock.now });
    const signed = signedPost(cart({ action: "add", sku: "milk" }), clock.now());
    const first = await request(a.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
    clock.advance(400);
    const second = await request(b.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
    expect([first.body, second.body]).toEqual([{ ok: true }, { ok: true }]);
    expect(second.headers["x-vizochok-replayed"]).toBeUndefined();
    expect(a.store.cart({ store_id: "store-1", session_id: "alice" }).items.map((i) => i.quantity)).toEqual([2]);
    expect(reservationMismatches(a.db)).toEqual([]);
  });

  it("a products request leaves no record, and its copy is answered again", async () => {
    const app = start();
    const signed = signedPost({ store_id: "store-1", skus: ["milk"] });
    const send = () => request(app.app).post("/api/vizochok/check-products").set(signed.headers).send(signed.body);
    const [first, second] = [await send(), await send()];
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers["x-vizochok-replayed"]).toBeUndefined();
    expect(app.db.prepare("SELECT COUNT(*) FROM replay_guard").pluck().get()).toBe(0);
  });

  it("keeps hashes, never the signatures themselves", async () => {
    const app = start();
    const signed = signedPost(cart({ action: "add", sku: "milk" }));
    await request(app.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
    const keys = app.db.prepare("SELECT key FROM replay_guard").pluck().all() as string[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(signed.headers["X-VIZOCHOK-Signature"]!.slice(7, 20));
  });
});
