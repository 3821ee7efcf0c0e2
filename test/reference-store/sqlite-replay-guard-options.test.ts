// The SQLite replay guard as an operator sees it: when a claim left in flight may be taken over,
// when expired rows leave the replay_guard table (a few per new delivery, never one still in its
// window), and the error a lost claim throws.
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

const delivery = (key: string, expiresAt: number) => ({ key, path: "/cart", expiresAt, ageMs: 0, identical: "apply" as const });
const rows = () => db.prepare<[], number>("SELECT COUNT(*) FROM replay_guard").pluck().get()!;
const expired = () => db.prepare<[number], number>("SELECT COUNT(*) FROM replay_guard WHERE expires_at <= ?").pluck().get(clock.now())!;

describe("createSqliteReplayGuard({ abandonAfterMs })", () => {
  it("takes over a claim left in flight after the configured time, not the 5 s default", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now, abandonAfterMs: 1_000 });
    const expiresAt = clock.now() + 300_000;
    const first = guard.begin(delivery("k", expiresAt));
    expect(first.state).toBe("new");
    clock.advance(999);
    expect(guard.begin(delivery("k", expiresAt))).toEqual({ state: "pending" });
    clock.advance(1);
    const takeover = guard.begin(delivery("k", expiresAt));
    expect(takeover.state).toBe("new");
    if (first.state !== "new" || takeover.state !== "new") return;
    expect(takeover.claim.token).not.toBe(first.claim.token);
    expect(db.prepare("SELECT claim FROM replay_guard").pluck().all()).toEqual([takeover.claim.token]);
  });
});

describe("createSqliteReplayGuard({ sweepEvery, sweepRows })", () => {
  const expiries = () => db.prepare<[], number>("SELECT expires_at FROM replay_guard ORDER BY expires_at").pluck().all();

  it("every 8th new delivery deletes at most 32 expired rows by default, oldest first", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now });
    const start = clock.now();
    for (let i = 0; i < 40; i++) guard.begin(delivery(`old-${i}`, start + 100 + i));
    clock.advance(1_000);
    for (let i = 0; i < 7; i++) guard.begin(delivery(`fresh-${i}`, clock.now() + 1_000));
    // 47 new deliveries so far, the last sweep at the 40th, before anything had expired.
    expect(expired()).toBe(40);
    guard.begin(delivery("fresh-7", clock.now() + 1_000));
    expect(expiries().slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, i) => start + 132 + i));
    for (let i = 8; i < 16; i++) guard.begin(delivery(`fresh-${i}`, clock.now() + 1_000));
    expect(expired()).toBe(0);
    expect(rows()).toBe(16);
  });

  it("deletes no more than the sweepRows given in one sweep, on the sweepEvery-th delivery", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now, sweepEvery: 2, sweepRows: 2 });
    for (let i = 0; i < 8; i++) guard.begin(delivery(`old-${i}`, clock.now() + 1_000));
    clock.advance(1_000);
    const counts: number[] = [];
    for (let i = 0; i < 10; i++) {
      guard.begin(delivery(`fresh-${i}`, clock.now() + 1_000));
      counts.push(expired());
    }
    expect(counts).toEqual([8, 6, 6, 4, 4, 2, 2, 0, 0, 0]);
    expect(rows()).toBe(10);
  });

  it("never deletes a row still inside its window: one expiring a millisecond from now stays, one expiring now goes", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now, sweepEvery: 1, sweepRows: 100 });
    const at = clock.now() + 1_000;
    guard.begin(delivery("expires-now", at));
    guard.begin(delivery("expires-next-ms", at + 1));
    const inWindow = guard.begin(delivery("in-window", at + 300_000));
    if (inWindow.state !== "new") throw new Error(inWindow.state);
    db.transaction(() => guard.commitAnswer(inWindow.claim, { status: 200, body: `{"ok":true}` })).immediate();
    clock.advance(1_000);
    for (let i = 0; i < 50; i++) guard.begin(delivery(`fresh-${i}`, clock.now() + 300_000));
    expect(expiries().slice(0, 2)).toEqual([at + 1, at + 300_000]);
    // The one in its window still answers its copies.
    expect(guard.begin(delivery("in-window", at + 300_000))).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
    clock.advance(1);
    guard.begin(delivery("fresh-50", clock.now() + 300_000));
    expect(expiries()[0]).toBe(at + 300_000);
  });

  it("refuses a sweepEvery or sweepRows that is not a whole number of at least 1", () => {
    for (const value of [0, -1, 2.5, Number.NaN]) {
      expect(() => createSqliteReplayGuard({ db, sweepEvery: value })).toThrow(`sweepEvery must be a whole number, at least 1; got ${value}`);
      expect(() => createSqliteReplayGuard({ db, sweepRows: value })).toThrow(`sweepRows must be a whole number, at least 1; got ${value}`);
    }
  });
});

describe("createSqliteReplayGuard() on a table of 15,000 entries, a third of them expired", () => {
  it("only every 8th claim deletes, at most 32 rows, and the expired ones are all gone after 1,256 claims", () => {
    const insert = db.prepare("INSERT INTO replay_guard (key, path, claim, arrived_at, claimed_at, expires_at) VALUES (?, '/cart', '', 0, 0, ?)");
    const start = clock.now();
    db.transaction(() => {
      for (let i = 0; i < 15_000; i++) insert.run(`k${i}`, i % 3 === 0 ? start - 1 - (i % 1_000) : start + 300_000 + i);
    })();
    const guard = createSqliteReplayGuard({ db, now: clock.now });
    const deleted: number[] = [];
    for (let i = 0; i < 1_256; i++) {
      const before = rows();
      guard.begin(delivery(`fresh-${i}`, clock.now() + 300_000));
      deleted.push(before + 1 - rows());
    }
    // 5,000 expired: 156 sweeps of 32 and one of 8.
    expect(deleted.filter((n, i) => (i + 1) % 8 !== 0 && n !== 0)).toEqual([]);
    expect(deleted.filter((n) => n === 32)).toHaveLength(156);
    expect(deleted.at(-1)).toBe(8);
    expect(expired()).toBe(0);
    expect(rows()).toBe(10_000 + 1_256);
  });
});

describe("createSqliteReplayGuard().commitAnswer() after a takeover", () => {
  it("throws an error the log can tell apart: its name, code and message say the claim was lost", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now });
    const stale = guard.begin(delivery("k", clock.now() + 300_000));
    if (stale.state !== "new") throw new Error(stale.state);
    clock.advance(5_000);
    expect(guard.begin(delivery("k", clock.now() + 300_000)).state).toBe("new");
    let thrown: unknown;
    try {
      db.transaction(() => guard.commitAnswer(stale.claim, { status: 200, body: `{"ok":true}` })).immediate();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({
      name: "ReplayClaimLostError",
      code: "replay_claim_lost",
      message: "another request took this delivery over; nothing was committed",
    });
    expect(String(thrown)).toBe("ReplayClaimLostError: another request took this delivery over; nothing was committed");
  });
});
