// The SQLite replay guard as an operator sees it: when a claim left in flight may be taken over,
// when expired rows leave the replay_guard table, and the error a lost claim throws.
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
const rows = () => db.prepare<[], number>("SELECT COUNT(*) FROM replay_guard").pluck().get();
const expired = () => db.prepare<[number], number>("SELECT COUNT(*) FROM replay_guard WHERE expires_at <= ?").pluck().get(clock.now());

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

describe("createSqliteReplayGuard({ sweepEvery })", () => {
  it("keeps expired rows until the sweepEvery-th new delivery, then deletes exactly those", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now, sweepEvery: 10 });
    for (let i = 0; i < 5; i++) guard.begin(delivery(`old-${i}`, clock.now() + 1_000));
    clock.advance(1_000);
    for (let i = 0; i < 4; i++) guard.begin(delivery(`fresh-${i}`, clock.now() + 1_000));
    // Nine new deliveries: the five expired rows are still there (a copy of one would start afresh).
    expect(rows()).toBe(9);
    guard.begin(delivery("tenth", clock.now() + 1_000));
    expect(rows()).toBe(5);
    expect(expired()).toBe(0);
  });

  it("sweeps on every 256th new delivery by default", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now });
    guard.begin(delivery("old", clock.now() + 1_000));
    clock.advance(1_000);
    for (let i = 0; i < 254; i++) guard.begin(delivery(`fresh-${i}`, clock.now() + 1_000));
    expect(rows()).toBe(255);
    expect(expired()).toBe(1);
    guard.begin(delivery("fresh-254", clock.now() + 1_000));
    expect(rows()).toBe(255);
    expect(expired()).toBe(0);
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
