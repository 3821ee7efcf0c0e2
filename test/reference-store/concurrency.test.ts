import { join } from "node:path";
import { silentLogger } from "vizochok-merchant-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Catalog } from "../../reference-store/catalog.js";
import { openDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { startStoreServer, type StoreServer } from "../../reference-store/server.js";
import { SECRET, SMALL_CATALOG, makeTempDir, reservationMismatches, signedPost } from "./helpers.js";
import { SPAWNED_PROCESS_TIMEOUT_MS, spawnStore, type StoreProcess } from "./spawn-store.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** SMALL_CATALOG plus plenty of water, for bursts that must never run out. */
const CATALOG = Catalog.parse({
  ...SMALL_CATALOG,
  products: [...SMALL_CATALOG.products, { sku: "water", name: "Water 1.5 l", category_path: "Drinks > Water" }],
  offers: [...SMALL_CATALOG.offers, { store_id: "store-1", sku: "water", price: 19.9, stock: 1_000_000 }],
});

function seededDatabase(): string {
  const temp = makeTempDir();
  cleanups.push(temp.remove);
  const path = join(temp.dir, "store.db");
  const db = openDatabase(path);
  seedCatalog(db, CATALOG);
  db.close();
  return path;
}

async function addOverHttp(url: string, session: string, sku: string, quantity: number): Promise<{ ok: boolean; reason?: string }> {
  const signed = signedPost({ action: "add", store_id: "store-1", session_id: session, sku, quantity });
  const response = await fetch(`${url}/api/vizochok/cart`, { method: "POST", headers: signed.headers, body: signed.body });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  return (await response.json()) as { ok: boolean; reason?: string };
}

async function postOverHttp(url: string, body: unknown): Promise<unknown> {
  const signed = signedPost(body);
  const response = await fetch(url, { method: "POST", headers: signed.headers, body: signed.body });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  return response.json();
}

async function productsOverHttp(url: string, skus: string[]): Promise<unknown[]> {
  return ((await postOverHttp(`${url}/api/vizochok/check-products`, { store_id: "store-1", skus })) as { products: unknown[] }).products;
}

const clearOverHttp = (url: string, session: string) => postOverHttp(`${url}/api/vizochok/cart`, { action: "clear", store_id: "store-1", session_id: session });

function inspect(path: string) {
  const db = openDatabase(path);
  try {
    const reserved = new Map(
      db.prepare("SELECT sku, reserved_milli / 1000.0 AS reserved FROM stock WHERE store_id = 'store-1'").all().map((row) => {
        const { sku, reserved } = row as { sku: string; reserved: number };
        return [sku, reserved];
      }),
    );
    return {
      reserved: (sku: string) => reserved.get(sku),
      mismatches: reservationMismatches(db),
      integrity: db.pragma("integrity_check", { simple: true }),
      foreignKeyViolations: db.pragma("foreign_key_check"),
      lines: db
        .prepare("SELECT c.session_id, l.sku, l.quantity_milli / 1000.0 AS quantity FROM carts c JOIN cart_lines l USING (cart_id)")
        .all() as { session_id: string; sku: string; quantity: number }[],
    };
  } finally {
    db.close();
  }
}

// One process answers these one at a time (better-sqlite3 is synchronous): what they show is that
// 100 requests in parallel on the wire sell exactly what there is. The overlapping case, where two
// processes decide at the same moment, is the next block.
describe("100 shoppers' adds sent in parallel over real HTTP to one process", () => {
  async function start(): Promise<{ server: StoreServer; path: string }> {
    const path = seededDatabase();
    const server = await startStoreServer({ port: 0, host: "127.0.0.1", databasePath: path, secret: SECRET, logger: silentLogger, seed: false });
    cleanups.push(server.close);
    return { server, path };
  }

  it("10 units: exactly 10 adds succeed, the rest are out_of_stock, stock never negative", async () => {
    const { server, path } = await start();
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => addOverHttp(server.url, `shopper-${i}`, "milk", 1)));
    expect(answers.filter((a) => a.ok)).toHaveLength(10);
    expect(new Set(answers.filter((a) => !a.ok).map((a) => a.reason))).toEqual(new Set(["out_of_stock"]));
    const after = inspect(path);
    expect(after.reserved("milk")).toBe(10);
    expect(after.mismatches).toEqual([]);
  });

  it("3 at a time: three succeed, the last unit is quantity_exceeded for everyone else", async () => {
    const { server, path } = await start();
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => addOverHttp(server.url, `shopper-${i}`, "milk", 3)));
    expect(answers.filter((a) => a.ok)).toHaveLength(3);
    expect(answers.filter((a) => a.reason === "quantity_exceeded")).toHaveLength(97);
    expect(inspect(path).reserved("milk")).toBe(9);
  });
});

describe("two server processes on one database file", () => {
  it("still sell exactly the 10 units there are", async () => {
    const path = seededDatabase();
    const env = { DATABASE_PATH: path, VIZOCHOK_WEBHOOK_SECRET: SECRET };
    const [a, b] = await Promise.all([spawnStore(env), spawnStore(env)]);
    cleanups.push(() => a.stop(), () => b.stop());
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => addOverHttp((i % 2 === 0 ? a : b).url, `shopper-${i}`, "milk", 1)),
    );
    expect(answers.filter((x) => x.ok)).toHaveLength(10);
    expect(answers.filter((x) => !x.ok).every((x) => x.reason === "out_of_stock" || x.reason === "quantity_exceeded")).toBe(true);
    const after = inspect(path);
    expect(after.reserved("milk")).toBe(10);
    expect(after.lines.filter((l) => l.sku === "milk")).toHaveLength(10);
    expect(after.mismatches).toEqual([]);
  }, SPAWNED_PROCESS_TIMEOUT_MS);

  it("each sees the other's cart changes and price updates in its next products answer", async () => {
    const path = seededDatabase();
    const env = { DATABASE_PATH: path, VIZOCHOK_WEBHOOK_SECRET: SECRET };
    const [a, b] = await Promise.all([spawnStore(env), spawnStore(env)]);
    cleanups.push(() => a.stop(), () => b.stop());
    const lastOne = async (url: string) => (await productsOverHttp(url, ["last-one", "milk"]))[0];
    // Read twice first, so the answer comes from whatever the process keeps between reads.
    expect(await lastOne(a.url)).toEqual({ sku: "last-one", price: 35, in_stock: true });
    expect(await lastOne(a.url)).toEqual({ sku: "last-one", price: 35, in_stock: true });
    expect(await addOverHttp(b.url, "bob", "last-one", 1)).toEqual({ ok: true });
    expect(await lastOne(a.url)).toEqual({ sku: "last-one", price: 35, in_stock: false });
    expect(await lastOne(b.url)).toEqual({ sku: "last-one", price: 35, in_stock: false });

    const db = openDatabase(path);
    db.prepare("UPDATE prices SET price = 36 WHERE store_id = 'store-1' AND sku = 'last-one'").run();
    db.close();
    expect(await lastOne(a.url)).toEqual({ sku: "last-one", price: 36, in_stock: false });
    expect(await lastOne(b.url)).toEqual({ sku: "last-one", price: 36, in_stock: false });

    expect(await clearOverHttp(a.url, "bob")).toEqual({ ok: true });
    expect(await lastOne(b.url)).toEqual({ sku: "last-one", price: 36, in_stock: true });
  }, SPAWNED_PROCESS_TIMEOUT_MS);
});

describe("a process killed with SIGKILL in the middle of a write burst", () => {
  it("loses no acknowledged cart and leaves no partial one after restart", async () => {
    const path = seededDatabase();
    const env = { DATABASE_PATH: path, VIZOCHOK_WEBHOOK_SECRET: SECRET };
    const victim: StoreProcess = await spawnStore(env);
    cleanups.push(() => victim.kill());

    const acknowledged: string[] = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed) {
        const session = `shopper-${next++}`;
        try {
          const answer = await addOverHttp(victim.url, session, "water", 2);
          if (answer.ok) acknowledged.push(session);
          if (acknowledged.length === 200 && !killed) {
            killed = true;
            await victim.kill();
          }
        } catch {
          return; // the connection died with the process
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);

    const restarted = await spawnStore(env);
    cleanups.push(() => restarted.stop());
    const after = inspect(path);
    expect(after.integrity).toBe("ok");
    expect(after.foreignKeyViolations).toEqual([]);
    expect(after.mismatches).toEqual([]);
    const saved = new Map(after.lines.map((l) => [l.session_id, l.quantity]));
    for (const session of acknowledged) expect(saved.get(session)).toBe(2);
    for (const quantity of saved.values()) expect(quantity).toBe(2);
    expect(after.reserved("water")).toBe(2 * saved.size);

    const cart = await fetch(`${restarted.url}/api/cart?store_id=store-1&session_id=${acknowledged[0]}`);
    expect(((await cart.json()) as { items: unknown[] }).items).toEqual([expect.objectContaining({ sku: "water", quantity: 2 })]);
  }, SPAWNED_PROCESS_TIMEOUT_MS);
});
