import request from "supertest";
import { describe, expect, it } from "vitest";
import type { StoreApp } from "../../reference-store/app.js";
import { useTestApps } from "./test-apps.js";

const { start } = useTestApps();
const add = (app: StoreApp, sku: string, quantity: number, session_id = "alice") =>
  app.store.add({ action: "add", store_id: "store-1", session_id, sku, quantity });

describe("GET /api/products", () => {
  it("lists the store's active products with price, promo, unit, step, brand, image and availability", async () => {
    const app = start();
    add(app, "milk", 4);
    const response = await request(app.app).get("/api/products?store_id=store-1");
    expect(response.status).toBe(200);
    expect(response.body.total).toBe(5);
    expect(response.body.items.map((i: { sku: string }) => i.sku)).toEqual(["cheese", "last-one", "sold-out", "milk", "chips"]);
    const milk = response.body.items.find((i: { sku: string }) => i.sku === "milk");
    expect(milk).toEqual({
      sku: "milk",
      name: "Milk 2.5% 1 l",
      brand: "Lactel",
      category_path: "Dairy > Milk",
      unit: "pcs",
      quantity_step: 1,
      min_quantity: 1,
      image_url: null,
      price: 42.5,
      promo_price: 38.9,
      promo_label: "-8%",
      in_stock: true,
      available: 6,
    });
    expect(response.body.items.find((i: { sku: string }) => i.sku === "sold-out")).toMatchObject({ in_stock: false, available: 0 });
  });

  it("searches case-insensitively, Cyrillic included", async () => {
    const app = start();
    const ua = await request(app.app).get(`/api/products?store_id=store-1&q=${encodeURIComponent("ЗВЕНИГОРА")}`);
    expect(ua.body.items.map((i: { sku: string }) => i.sku)).toEqual(["cheese"]);
    const en = await request(app.app).get("/api/products?store_id=store-1&q=PRINGLES");
    expect(en.body.items.map((i: { sku: string }) => i.sku)).toEqual(["chips"]);
  });

  it("filters by a category or any of its parents", async () => {
    const app = start();
    const dairy = await request(app.app).get("/api/products?store_id=store-1&category=Dairy");
    expect(dairy.body.items.map((i: { sku: string }) => i.sku).sort()).toEqual(["last-one", "milk", "sold-out"]);
    const kefir = await request(app.app).get(`/api/products?store_id=store-1&category=${encodeURIComponent("Dairy > Kefir")}`);
    expect(kefir.body.total).toBe(2);
    const partial = await request(app.app).get("/api/products?store_id=store-1&category=Dai");
    expect(partial.body.total).toBe(0);
  });

  it("pages with limit and offset, and reports the full total", async () => {
    const app = start();
    const page = await request(app.app).get("/api/products?store_id=store-1&limit=2&offset=4");
    expect(page.body).toMatchObject({ total: 5, limit: 2, offset: 4 });
    expect(page.body.items).toHaveLength(1);
    const beyond = await request(app.app).get("/api/products?store_id=store-1&offset=50");
    expect(beyond.body).toMatchObject({ total: 5, items: [] });
  });

  it("shows each store's own prices, and the first store when none is named", async () => {
    const app = start();
    const two = await request(app.app).get("/api/products?store_id=store-2");
    expect(two.body.items.map((i: { sku: string; price: number }) => [i.sku, i.price])).toEqual([
      ["only-store-2", 25],
      ["milk", 40],
    ]);
    expect((await request(app.app).get("/api/products")).body.store_id).toBe("store-1");
  });

  it("400 for a bad limit, 404 for an unknown store", async () => {
    const app = start();
    const bad = await request(app.app).get("/api/products?limit=0");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("invalid_request");
    const unknown = await request(app.app).get("/api/products?store_id=store-9");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("store_not_found");
  });
});

describe("GET /api/cart", () => {
  it("returns the authoritative cart with unit, regular price and total", async () => {
    const app = start();
    add(app, "milk", 2);
    add(app, "cheese", 0.4);
    const response = await request(app.app).get("/api/cart?store_id=store-1&session_id=alice");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      store_id: "store-1",
      session_id: "alice",
      items: [
        { sku: "milk", name: "Milk 2.5% 1 l", price: 38.9, regular_price: 42.5, promo_price: 38.9, brand: "Lactel", quantity: 2, unit: "pcs" },
        {
          sku: "cheese",
          name: "Сир Звенигора Голландський",
          price: 359.9,
          regular_price: 359.9,
          promo_price: null,
          brand: "Звенигора",
          quantity: 0.4,
          unit: "kg",
        },
      ],
      total: 221.76,
    });
  });

  it("an unknown session has an empty cart", async () => {
    const response = await request(start().app).get("/api/cart?store_id=store-1&session_id=nobody");
    expect(response.body).toMatchObject({ items: [], total: 0 });
  });

  it("400 without session_id", async () => {
    const response = await request(start().app).get("/api/cart?store_id=store-1");
    expect(response.status).toBe(400);
  });
});

describe("GET /healthz", () => {
  it("200 with the schema version", async () => {
    const response = await request(start().app).get("/healthz");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true, schema_version: 3 });
  });
});

describe("the Express app", () => {
  it("leaves unknown paths to routes added later", async () => {
    const app = start();
    app.app.get("/extra", (_request, response) => void response.send("added later"));
    expect((await request(app.app).get("/extra")).text).toBe("added later");
    expect((await request(app.app).get("/nothing-here")).status).toBe(404);
  });
});
