// The PostgreSQL store as `npm run store` starts it, and its migrations under concurrent starts.
import { afterAll, describe, expect, it } from "vitest";
import { migratePostgres, POSTGRES_MIGRATIONS } from "../../reference-store/postgres/migrations.js";
import { SECRET, signedPost } from "./helpers.js";
import { createTestSchema, reportSkipped } from "./servers.js";
import { spawnStore } from "./spawn-store.js";

const schema = await createTestSchema("server");
afterAll(() => schema.drop());

if (schema.skipReason !== undefined) reportSkipped("npm run store on PostgreSQL", schema.skipReason);
else {
  describe("migrations", () => {
    it("run once when four instances start at the same moment", async () => {
      const fresh = await createTestSchema("migrate");
      try {
        const pools = [1, 2, 3, 4].map(() => fresh.pool(1));
        const versions = await Promise.all(pools.map((pool) => migratePostgres(pool)));
        expect(versions).toEqual([2, 2, 2, 2].map(() => POSTGRES_MIGRATIONS.length));
        const applied = await fresh.sql<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
        expect(applied.map((row) => row.version)).toEqual(POSTGRES_MIGRATIONS.map((_, index) => index + 1));
        expect(await migratePostgres(pools[0]!)).toBe(POSTGRES_MIGRATIONS.length);
      } finally {
        await fresh.drop();
      }
    });
  });

  describe("npm run store with DATABASE_URL=postgres://…", () => {
    it("serves from PostgreSQL: the add lands in its tables with its audit row", { timeout: 90_000 }, async () => {
      const store = await spawnStore({ DATABASE_URL: schema.url, VIZOCHOK_WEBHOOK_SECRET: SECRET, DATABASE_PATH: undefined });
      try {
        const listening = await store.waitForLog("listening");
        expect(String(listening["database"])).toMatch(/^postgres:\/\//);
        const health = await fetch(`${store.url}/healthz`);
        expect(await health.json()).toEqual({ ok: true, schema_version: POSTGRES_MIGRATIONS.length });
        const add = signedPost({ action: "add", store_id: "store-1", session_id: "pg-shopper", sku: "milk-001", quantity: 2 });
        const response = await fetch(`${store.url}/api/vizochok/cart`, { method: "POST", headers: add.headers, body: add.body });
        expect([response.status, await response.json()]).toEqual([200, { ok: true }]);
        expect(await schema.sql("SELECT c.session_id, l.sku, l.quantity_milli FROM carts c JOIN cart_lines l USING (cart_id)")).toEqual([
          { session_id: "pg-shopper", sku: "milk-001", quantity_milli: 2000 },
        ]);
        expect(await schema.sql("SELECT action, sku, outcome FROM webhook_audit WHERE kind = 'cart'")).toEqual([
          { action: "add", sku: "milk-001", outcome: "ok" },
        ]);
        const cart = await fetch(`${store.url}/api/cart?store_id=store-1&session_id=pg-shopper`);
        expect(((await cart.json()) as { items: unknown[] }).items).toEqual([expect.objectContaining({ sku: "milk-001", quantity: 2 })]);
      } finally {
        expect(await store.stop()).toBe(0);
      }
    });

    it("refuses STORE_INSTANCES > 1 without PostgreSQL, saying why", { timeout: 60_000 }, async () => {
      await expect(spawnStore({ DATABASE_PATH: ":memory:", STORE_INSTANCES: "2", VIZOCHOK_WEBHOOK_SECRET: SECRET })).rejects.toThrow(
        /STORE_INSTANCES > 1 needs DATABASE_URL=postgres/,
      );
    });
  });
}
