import request from "supertest";
import { describe, expect, it } from "vitest";
import type { StoreApp } from "../../reference-store/app.js";
import { installCrashPoint } from "./crash-points.js";
import { createClock, createTestApp, reservationMismatches, signedPost } from "./helpers.js";
import { useTestApps } from "./test-apps.js";

const { start, databaseFile } = useTestApps();

const add = (sku: string, now: number) => signedPost({ action: "add", store_id: "store-1", session_id: "shopper", sku }, now);
const send = (app: StoreApp, signed: ReturnType<typeof add>) => request(app.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
const lines = (app: StoreApp) =>
  app.db.prepare("SELECT l.sku, l.quantity_milli FROM carts c JOIN cart_lines l USING (cart_id) WHERE c.session_id = 'shopper'").all();
const okAuditRows = (app: StoreApp) => app.db.prepare("SELECT COUNT(*) FROM webhook_audit WHERE kind = 'cart' AND outcome = 'ok'").pluck().get();
const guardRows = (app: StoreApp) => app.db.prepare("SELECT status, body, answered_at IS NOT NULL AS answered FROM replay_guard").all();

class SimulatedCrash extends Error {}
const die = (): never => {
  throw new SimulatedCrash("the process died here");
};

describe("a store process that dies while answering a cart add, then a byte-identical re-delivery", () => {
  it("died before COMMIT: nothing committed; the re-delivery after the 5 s takeover applies the add once", async () => {
    const path = databaseFile();
    const clock = createClock();
    const dying = createTestApp({ databasePath: path, now: clock.now });
    installCrashPoint(dying.db, "before-commit", die);
    const signed = add("milk", clock.now());
    await send(dying, signed); // the connection would drop: whatever came back is not an answer
    await dying.close();

    const restarted = start({ databasePath: path, now: clock.now });
    expect(lines(restarted)).toEqual([]);
    expect(okAuditRows(restarted)).toBe(0);
    expect(guardRows(restarted)).toEqual([{ status: null, body: null, answered: 0 }]);

    clock.advance(5_000);
    const redelivered = await send(restarted, signed);
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toEqual({ ok: true });
    expect(redelivered.headers["x-vizochok-replayed"]).toBeUndefined();
    expect(lines(restarted)).toEqual([{ sku: "milk", quantity_milli: 1_000 }]);
    expect(okAuditRows(restarted)).toBe(1);
    expect(reservationMismatches(restarted.db)).toEqual([]);
  });

  it("died after COMMIT, before answering: the re-delivery gets the recorded answer and changes nothing", async () => {
    const path = databaseFile();
    const clock = createClock();
    const dying = createTestApp({ databasePath: path, now: clock.now });
    installCrashPoint(dying.db, "after-commit", die);
    const signed = add("milk", clock.now());
    await send(dying, signed);
    await dying.close();

    const restarted = start({ databasePath: path, now: clock.now });
    expect(lines(restarted)).toEqual([{ sku: "milk", quantity_milli: 1_000 }]);
    expect(guardRows(restarted)).toEqual([{ status: 200, body: `{"ok":true}`, answered: 0 }]);

    // VIZOCHOK's re-delivery comes 1 s or more later; past the 5 s takeover too, nothing runs again.
    for (const later of [1_500, 5_000, 60_000]) {
      clock.advance(later);
      const redelivered = await send(restarted, signed);
      expect(redelivered.status).toBe(200);
      expect(redelivered.body).toEqual({ ok: true });
      expect(redelivered.headers["x-vizochok-replayed"]).toBe("1");
    }
    expect(lines(restarted)).toEqual([{ sku: "milk", quantity_milli: 1_000 }]);
    expect(okAuditRows(restarted)).toBe(1);
    expect(reservationMismatches(restarted.db)).toEqual([]);
  });

  it("a delivery whose audit row and release both failed is taken over after 5 s and applied once", async () => {
    const clock = createClock();
    const storeApp = start({ now: clock.now });
    storeApp.db.exec(`
      CREATE TRIGGER audit_fails BEFORE INSERT ON webhook_audit BEGIN SELECT RAISE(ABORT, 'database is locked'); END;
      CREATE TRIGGER guard_busy BEFORE DELETE ON replay_guard BEGIN SELECT RAISE(ABORT, 'database is locked'); END;`);
    const signed = add("milk", clock.now());

    const first = await send(storeApp, signed);
    expect(first.status).toBe(500);
    expect(lines(storeApp)).toEqual([]);
    expect(guardRows(storeApp)).toEqual([{ status: null, body: null, answered: 0 }]);
    storeApp.db.exec("DROP TRIGGER audit_fails; DROP TRIGGER guard_busy;");

    clock.advance(5_000);
    const retry = await send(storeApp, signed);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ ok: true });
    expect(lines(storeApp)).toEqual([{ sku: "milk", quantity_milli: 1_000 }]);
  });

  it("an answer that cannot be recorded rolls the change back (5xx); the retry applies it once", async () => {
    const clock = createClock();
    const storeApp = start({ now: clock.now });
    storeApp.db.exec(`CREATE TRIGGER guard_busy BEFORE UPDATE ON replay_guard BEGIN SELECT RAISE(ABORT, 'database is locked'); END`);
    const signed = add("milk", clock.now());
    const first = await send(storeApp, signed);
    expect(first.status).toBe(500);
    expect(lines(storeApp)).toEqual([]);
    expect(okAuditRows(storeApp)).toBe(0);
    expect(guardRows(storeApp)).toEqual([]);

    storeApp.db.exec("DROP TRIGGER guard_busy");
    clock.advance(1_000);
    expect((await send(storeApp, signed)).body).toEqual({ ok: true });
    expect(lines(storeApp)).toEqual([{ sku: "milk", quantity_milli: 1_000 }]);
    expect(reservationMismatches(storeApp.db)).toEqual([]);
  });
});

describe("the same add twice in one second (a double tap) at the reference store", () => {
  it("is applied twice and answered ok twice; the store's cart says 2", async () => {
    const clock = createClock();
    const storeApp = start({ now: clock.now });
    const signed = add("milk", clock.now());
    const first = await send(storeApp, signed);
    clock.advance(250);
    const second = await send(storeApp, signed);
    expect([first.body, second.body]).toEqual([{ ok: true }, { ok: true }]);
    expect(lines(storeApp)).toEqual([{ sku: "milk", quantity_milli: 2_000 }]);
    expect(okAuditRows(storeApp)).toBe(2);
    expect(reservationMismatches(storeApp.db)).toEqual([]);
  });

  it("never answers ok for the second when it cannot be made: the last unit goes once, the tap after is out_of_stock", async () => {
    const clock = createClock();
    const storeApp = start({ now: clock.now });
    const signed = add("last-one", clock.now());
    expect((await send(storeApp, signed)).body).toEqual({ ok: true });
    clock.advance(250);
    expect((await send(storeApp, signed)).body).toEqual({ ok: false, reason: "out_of_stock" });
    // Its re-delivery gets that rejection again; the first's ok is not resurrected.
    clock.advance(1_000);
    const redelivered = await send(storeApp, signed);
    expect(redelivered.body).toEqual({ ok: false, reason: "out_of_stock" });
    expect(lines(storeApp)).toEqual([{ sku: "last-one", quantity_milli: 1_000 }]);
  });

  it("identicalRequests: \"refuse\" answers the second 409 duplicate_delivery and applies it not at all", async () => {
    const clock = createClock();
    const storeApp = start({ now: clock.now, identicalRequests: "refuse" });
    const signed = add("milk", clock.now());
    expect((await send(storeApp, signed)).body).toEqual({ ok: true });
    clock.advance(250);
    const refused = await send(storeApp, signed);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe("duplicate_delivery");
    expect(lines(storeApp)).toEqual([{ sku: "milk", quantity_milli: 1_000 }]);
    expect(okAuditRows(storeApp)).toBe(1);
  });
});
