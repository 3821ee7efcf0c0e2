import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../reference-store/database.js";
import { createSqliteReplayGuard } from "../../reference-store/sqlite-replay-guard.js";
import { join } from "node:path";
import { defineReplayGuardContract } from "../kit/replay-guard-contract.js";
import { createClock, makeTempDir } from "./helpers.js";

let db: Database;
let clock: ReturnType<typeof createClock>;
beforeEach(() => {
  db = openDatabase(":memory:");
  clock = createClock();
});
afterEach(() => db.close());

defineReplayGuardContract(
  "createSqliteReplayGuard()",
  (now) => {
    const db = openDatabase(":memory:");
    const guard = createSqliteReplayGuard({ db, now });
    return { guard, commitAnswer: (claim, answer) => guard.commitAnswer(claim, answer), close: () => void db.close() };
  },
  { commitsWithChange: true },
);

describe("createSqliteReplayGuard()", () => {
  const delivery = (key: string, expiresAt: number) => ({ key, path: "/cart", expiresAt, ageMs: 0, identical: "apply" as const });

  it("deletes expired entries as new deliveries arrive", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now, sweepEvery: 10 });
    for (let i = 0; i < 9; i++) guard.begin(delivery(`old-${i}`, clock.now() + 1_000));
    clock.advance(1_000);
    guard.begin(delivery("fresh", clock.now() + 1_000));
    expect(db.prepare("SELECT COUNT(*) FROM replay_guard").pluck().get()).toBe(1);
  });

  it("stores hashes of the keys, never a signature", () => {
    const guard = createSqliteReplayGuard({ db, now: clock.now });
    guard.begin(delivery("1767225600.0123456789abcdef", clock.now() + 1_000));
    const keys = db.prepare("SELECT key FROM replay_guard").pluck().all() as string[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain("0123456789abcdef");
  });

  it("two connections to one file share the rule: the second sees the first's committed answer", () => {
    const dir = makeTempDir();
    const path = join(dir.dir, "store.db");
    const one = openDatabase(path);
    const two = openDatabase(path);
    try {
      const first = createSqliteReplayGuard({ db: one, now: clock.now });
      const second = createSqliteReplayGuard({ db: two, now: clock.now });
      const seen = first.begin(delivery("k", clock.now() + 300_000));
      if (seen.state !== "new") throw new Error(seen.state);
      expect(second.begin(delivery("k", clock.now() + 300_000))).toEqual({ state: "pending" });
      one.transaction(() => first.commitAnswer(seen.claim, { status: 200, body: `{"ok":true}` })).immediate();
      expect(second.begin(delivery("k", clock.now() + 300_000))).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
    } finally {
      one.close();
      two.close();
      dir.remove();
    }
  });
});
