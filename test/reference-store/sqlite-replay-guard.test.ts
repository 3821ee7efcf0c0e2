import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../reference-store/database.js";
import { createSqliteReplayGuard } from "../../reference-store/sqlite-replay-guard.js";
import { createClock } from "./helpers.js";

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
