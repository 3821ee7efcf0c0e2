// The same requests, over HTTP, to the store on SQLite and on PostgreSQL: the same answers.
import { silentLogger } from "vizochok-merchant-kit";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { createPostgresStoreApp } from "../../reference-store/postgres/app.js";
import { SECRET, SMALL_CATALOG, createTestApp, signedGetHeaders, signedPost } from "./helpers.js";
import { createTestSchema, reportSkipped } from "./servers.js";

const schema = await createTestSchema("same_answers");
afterAll(() => schema.drop());

if (schema.skipReason !== undefined) reportSkipped("SQLite and PostgreSQL answer alike", schema.skipReason);
else {
  describe("SQLite and PostgreSQL answer alike", () => {
    it("every webhook and storefront request, in one sequence", async () => {
      const sqlite = createTestApp();
      const postgres = await createPostgresStoreApp({ pool: schema.pool(4), secret: SECRET, seed: SMALL_CATALOG, logger: silentLogger, sweepIntervalMs: 0 });
      afterAll(() => Promise.all([sqlite.close(), postgres.close()]));
      const steps: [string, (app: typeof sqlite.app) => request.Test][] = [];
      const post = (path: string, body: unknown) =>
        steps.push([`POST ${path} ${JSON.stringify(body)}`, (app) => {
          const signed = signedPost(body);
          return request(app).post(`/api/vizochok${path}`).set(signed.headers).send(signed.body);
        }]);
      const get = (path: string, signed = false) =>
        steps.push([`GET ${path}`, (app) => request(app).get(path).set(signed ? signedGetHeaders() : {})]);
      const cart = (body: Record<string, unknown>) => post("/cart", { store_id: "store-1", session_id: "alice", ...body });

      post("/check-products", { store_id: "store-1", skus: ["chips", "nope", "milk", "sold-out", "retired", "cheese", "milk"] });
      post("/check-products", { store_id: "store-2", skus: ["only-store-2", "milk", "last-one"] });
      cart({ action: "add", sku: "milk", quantity: 3, price: 38.9 });
      cart({ action: "add", sku: "cheese", quantity: 0.3 });
      cart({ action: "add", sku: "cheese", quantity: 0.05 });
      cart({ action: "add", sku: "chips", quantity: 4 });
      cart({ action: "add", sku: "last-one" });
      cart({ action: "add", sku: "last-one", session_id: "bob" });
      cart({ action: "update_quantity", sku: "milk", quantity: 11 });
      cart({ action: "update_quantity", sku: "milk", quantity: 5 });
      cart({ action: "remove", sku: "chips" });
      cart({ action: "remove", sku: "last-one" });
      cart({ action: "add", sku: "retired" });
      cart({ action: "add", sku: "x\u0000y" });
      cart({ action: "dance", sku: "milk" });
      get("/api/vizochok/cart/items?store_id=store-1&session_id=alice", true);
      get("/api/cart?store_id=store-1&session_id=alice");
      get("/api/cart?store_id=store-1&session_id=nobody");
      get("/api/products?store_id=store-1");
      get("/api/products");
      get("/api/products?store_id=store-1&q=%D0%B7%D0%B2%D0%B5%D0%BD%D0%B8%D0%B3%D0%BE%D1%80%D0%B0");
      get("/api/products?store_id=store-1&category=Dairy&limit=2&offset=1");
      get("/api/products?store_id=store-1&q=a%00b");
      get("/api/products?store_id=store-9");
      get("/api/products?store_id=store-1&limit=0");
      cart({ action: "clear" });
      get("/api/cart?store_id=store-1&session_id=alice");
      get("/api/products?store_id=store-1&q=kefir");

      const distinct = new Set<string>();
      for (const [name, send] of steps) {
        const [a, b] = [await send(sqlite.app), await send(postgres.app)];
        expect({ name, status: b.status, body: b.body }).toEqual({ name, status: a.status, body: a.body });
        distinct.add(JSON.stringify([a.status, a.body]));
      }
      // The sequence reaches many different answers: identical rejections throughout would prove little.
      expect(distinct.size).toBeGreaterThanOrEqual(20);

      // Both audit logs hold the same decisions (reads arrive in batches, so compared as sets);
      // PostgreSQL text cannot hold U+0000, so its rows show U+FFFD there instead.
      const decisions = (rows: { kind: string; action: string | null; sku: string | null; outcome: string; reason: string | null }[]) =>
        rows.map(({ kind, action, sku, outcome, reason }) => JSON.stringify([kind, action, sku?.replaceAll("\u0000", "\uFFFD"), outcome, reason])).sort();
      const [sqliteRows, postgresRows] = [sqlite.audit.recent(1_000), await postgres.audit.recent(1_000)];
      expect(decisions(postgresRows)).toEqual(decisions(sqliteRows));
      expect(postgresRows.filter((row) => row.kind === "products")).toHaveLength(2);
    });

    it("identicalRequests: \"refuse\" holds on PostgreSQL too: the second identical add is 409 duplicate_delivery and not applied", async () => {
      let clock = Date.UTC(2026, 0, 1);
      const postgres = await createPostgresStoreApp({
        pool: schema.pool(2),
        secret: SECRET,
        seed: SMALL_CATALOG,
        logger: silentLogger,
        sweepIntervalMs: 0,
        now: () => clock,
        identicalRequests: "refuse",
      });
      afterAll(() => postgres.close());
      const signed = signedPost({ action: "add", store_id: "store-1", session_id: "refused-twice", sku: "milk" }, clock);
      const send = () => request(postgres.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
      expect((await send()).body).toEqual({ ok: true });
      clock += 250;
      const refused = await send();
      expect(refused.status).toBe(409);
      expect(refused.body.error).toBe("duplicate_delivery");
      const cart = await request(postgres.app).get("/api/cart?store_id=store-1&session_id=refused-twice");
      expect(cart.body.items.map((item: { sku: string; quantity: number }) => [item.sku, item.quantity])).toEqual([["milk", 1]]);
    });
  });
}
