import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../reference-store/database.js";
import { createSqliteReplayGuard } from "../../reference-store/sqlite-replay-guard.js";
import request from "supertest";
import type { StoreApp } from "../../reference-store/app.js";
import { createClock, createTestApp, signedPost } from "./helpers.js";

let db: Database;
let clock: ReturnType<typeof createClock>;
beforeEach(() => {
  db = openDatabase(":memory:");
  clock = createClock();
});
afterEach(() => db.close());

describe("createSqliteReplayGuard()", () => {
  it("new, then pending, then done with the stored answer", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now });
    const expires = clock.now() + 300_000;
    expect(guard.begin("k", "/cart", expires)).toEqual({ state: "new" });
    expect(guard.begin("k", "/cart", expires)).toEqual({ state: "pending" });
    guard.complete("k", { status: 200, body: `{"ok":false,"reason":"out_of_stock"}` });
    expect(guard.begin("k", "/cart", expires)).toEqual({ state: "done", answer: { status: 200, body: `{"ok":false,"reason":"out_of_stock"}` } });
    expect(guard.begin("k", "/check-products", expires)).toEqual({ state: "other_path" });
  });

  it("forgets a released key so the retry runs", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now });
    guard.begin("k", "/cart", clock.now() + 1_000);
    guard.release("k");
    expect(guard.begin("k", "/cart", clock.now() + 1_000)).toEqual({ state: "new" });
  });

  it("treats an entry as new once it has expired", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now });
    guard.begin("k", "/cart", clock.now() + 1_000);
    guard.complete("k", { status: 200, body: `{"ok":true}` });
    clock.advance(1_000);
    expect(guard.begin("k", "/cart", clock.now() + 1_000)).toEqual({ state: "new" });
  });

  it("lets a re-delivery take over a delivery left pending by a process that died", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now, abandonAfterMs: 5_000 });
    const expires = clock.now() + 300_000;
    guard.begin("k", "/cart", expires);
    clock.advance(4_999);
    expect(guard.begin("k", "/cart", expires)).toEqual({ state: "pending" });
    clock.advance(1);
    expect(guard.begin("k", "/cart", expires)).toEqual({ state: "new" });
  });

  it("deletes expired entries as new deliveries arrive", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now, sweepEvery: 10 });
    for (let i = 0; i < 9; i++) guard.begin(`old-${i}`, "/cart", clock.now() + 1_000);
    clock.advance(1_000);
    guard.begin("fresh", "/cart", clock.now() + 1_000);
    expect(db.prepare("SELECT COUNT(*) FROM replay_guard").pluck().get()).toBe(1);
  });
});

describe("createSqliteReplayGuard() behind the kit, on a database too busy to write", () => {
  const apps: StoreApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  const cartLine = (storeApp: StoreApp) =>
    storeApp.db.prepare("SELECT l.quantity_milli FROM carts c JOIN cart_lines l USING (cart_id) WHERE c.session_id = 'shopper'").pluck().all();

  it("keeps the handler's 200 when the answer cannot be recorded, and a re-delivery never re-runs it while pending", async () => {
    const storeApp = createTestApp({ now: clock.now });
    apps.push(storeApp);
    storeApp.db.exec(`CREATE TRIGGER guard_busy BEFORE UPDATE ON replay_guard BEGIN SELECT RAISE(ABORT, 'database is locked'); END`);
    const add = signedPost({ action: "add", store_id: "store-1", session_id: "shopper", sku: "milk" }, clock.now());

    const response = await request(storeApp.app).post("/api/vizochok/cart").set(add.headers).send(add.body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true });
    expect(cartLine(storeApp)).toEqual([1_000]);
    expect(storeApp.db.prepare("SELECT status FROM replay_guard").pluck().all()).toEqual([null]);

    storeApp.db.exec("DROP TRIGGER guard_busy");
    const guard = createSqliteReplayGuard({ db: storeApp.db, now: clock.now });
    const key = `${add.headers["X-VIZOCHOK-Timestamp"]}.${add.headers["X-VIZOCHOK-Signature"]!.slice("sha256=".length)}`;
    expect(guard.begin(key, "/cart", clock.now() + 300_000)).toEqual({ state: "pending" });
  });

  it("a delivery whose handler failed and whose release failed is taken over by the retry after 5 s, and applied once", async () => {
    const storeApp = createTestApp({ now: clock.now });
    apps.push(storeApp);
    storeApp.db.exec(`
      CREATE TRIGGER audit_fails BEFORE INSERT ON webhook_audit BEGIN SELECT RAISE(ABORT, 'database is locked'); END;
      CREATE TRIGGER guard_busy BEFORE DELETE ON replay_guard BEGIN SELECT RAISE(ABORT, 'database is locked'); END;`);
    const add = signedPost({ action: "add", store_id: "store-1", session_id: "shopper", sku: "milk" }, clock.now());

    const first = await request(storeApp.app).post("/api/vizochok/cart").set(add.headers).send(add.body);
    expect(first.status).toBe(500);
    expect(storeApp.db.prepare("SELECT status FROM replay_guard").pluck().all()).toEqual([null]);
    storeApp.db.exec("DROP TRIGGER audit_fails; DROP TRIGGER guard_busy;");

    clock.advance(5_000);
    const retry = await request(storeApp.app).post("/api/vizochok/cart").set(add.headers).send(add.body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ok: true });
    expect(cartLine(storeApp)).toEqual([1_000]);
  });
});
