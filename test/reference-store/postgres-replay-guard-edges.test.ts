// The PostgreSQL replay guard beyond the shared rule: the rows it writes, its sweep of expired
// rows, two instances racing for one delivery (each write a compare-and-set on what was read), and
// the answer committed in the change's own transaction.
import { createHash } from "node:crypto";
import pg from "pg";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { ReplayClaim, ReplayDelivery, WebhookContext } from "vizochok-merchant-kit";
import { createStoreHandlers } from "../../reference-store/handlers.js";
import { migratePostgres } from "../../reference-store/postgres/migrations.js";
import { createPostgresReplayGuard, withPostgresAnswerRecord } from "../../reference-store/postgres/replay-guard.js";
import { seedPostgresCatalog } from "../../reference-store/postgres/seed.js";
import { createPostgresStore } from "../../reference-store/postgres/store.js";
import { SMALL_CATALOG } from "./helpers.js";
import { postgresReservationMismatches } from "./postgres-helpers.js";
import { createTestSchema, reportSkipped } from "./servers.js";

const schema = await createTestSchema("guard_edges");
afterAll(() => schema.drop());

const T0 = 1_767_225_600_000;
const delivery = (overrides: Partial<ReplayDelivery> = {}): ReplayDelivery => ({
  key: "1767225600.abc",
  path: "/cart",
  expiresAt: T0 + 301_000,
  ageMs: 0,
  identical: "apply",
  ...overrides,
});
const hashed = (key: string) => createHash("sha256").update(key).digest("base64url");

interface GuardRow {
  key: string;
  path: string;
  claim: string;
  started_at: number;
  claimed_at: number;
  expires_at: number;
  status: number | null;
  body: string | null;
  answered_at: number | null;
}

/**
 * `pool` as a guard sees it, except that the first query named `name` stops after its answer
 * until `resume()`: the guard has read the row and not yet written, and another instance can act.
 */
function pauseAfter(pool: pg.Pool, name: string) {
  let paused!: () => void;
  let resume!: () => void;
  const reached = new Promise<void>((resolve) => (paused = resolve));
  const gate = new Promise<void>((resolve) => (resume = resolve));
  let armed = true;
  const query = async (config: pg.QueryConfig, values?: unknown[]) => {
    const result = await pool.query(config, values);
    if (armed && config.name === name) {
      armed = false;
      paused();
      await gate;
    }
    return result;
  };
  return { pool: { query } as unknown as pg.Pool, reached, resume };
}

if (schema.skipReason === undefined) {
  const pool = schema.pool(8);
  await migratePostgres(pool);
  await seedPostgresCatalog(pool, SMALL_CATALOG);
  const rows = () => schema.sql<GuardRow>("SELECT * FROM replay_guard ORDER BY started_at, key");
  const keys = async () => (await schema.sql<{ key: string }>("SELECT key FROM replay_guard ORDER BY key COLLATE \"C\"")).map((row) => row.key);

  beforeEach(async () => {
    await schema.sql("DELETE FROM replay_guard; DELETE FROM cart_lines; DELETE FROM carts; UPDATE stock SET reserved_milli = 0");
  });

  describe("createPostgresReplayGuard(): its rows", () => {
    it("keys a delivery by the SHA-256 of its signature key, and records arrival, claim, expiry, then the answer", async () => {
      let clock = T0 + 50;
      const guard = createPostgresReplayGuard({ pool, now: () => clock });
      const seen = await guard.begin(delivery({ ageMs: 30 }));
      if (seen.state !== "new") throw new Error(`expected new, got ${seen.state}`);
      expect(await rows()).toEqual([
        { key: hashed("1767225600.abc"), path: "/cart", claim: seen.claim.token, started_at: T0 + 20, claimed_at: T0 + 20, expires_at: T0 + 301_000, status: null, body: null, answered_at: null },
      ]);
      clock += 400;
      await guard.complete(seen.claim, { status: 200, body: `{"ok":true}` });
      expect(await rows()).toMatchObject([{ status: 200, body: `{"ok":true}`, answered_at: T0 + 450 }]);
    });

    it("reads the real clock when given none", async () => {
      const guard = createPostgresReplayGuard({ pool });
      const before = Date.now();
      expect((await guard.begin(delivery({ expiresAt: before + 301_000 }))).state).toBe("new");
      const after = Date.now();
      const [row] = await rows();
      expect(row!.started_at).toBeGreaterThanOrEqual(before);
      expect(row!.started_at).toBeLessThanOrEqual(after);
    });

    it("deletes expired rows on every sweepEvery-th new delivery, and only those", async () => {
      let clock = T0;
      const guard = createPostgresReplayGuard({ pool, now: () => clock, sweepEvery: 3 });
      await guard.begin(delivery({ key: "1.a", expiresAt: T0 + 1_000 }));
      clock += 1_000;
      await guard.begin(delivery({ key: "2.b", expiresAt: T0 + 2_000 }));
      // Expired at this very millisecond, but only the third new delivery sweeps.
      expect(await keys()).toEqual([hashed("1.a"), hashed("2.b")].sort());
      await guard.begin(delivery({ key: "3.c", expiresAt: T0 + 301_000 }));
      expect(await keys()).toEqual([hashed("2.b"), hashed("3.c")].sort());
    });
  });

  describe("createPostgresReplayGuard({ sweepEvery, sweepRows })", () => {
    const expiries = async () => (await schema.sql<{ expires_at: number }>("SELECT expires_at FROM replay_guard ORDER BY expires_at")).map((row) => row.expires_at);
    const expired = async (at: number) => (await schema.sql<{ n: number }>("SELECT COUNT(*)::integer AS n FROM replay_guard WHERE expires_at <= $1", [at]))[0]!.n;
    const count = async () => (await schema.sql<{ n: number }>("SELECT COUNT(*)::integer AS n FROM replay_guard"))[0]!.n;

    it("every 8th new delivery deletes at most 32 expired rows by default, oldest first", async () => {
      let clock = T0;
      const guard = createPostgresReplayGuard({ pool, now: () => clock });
      // Newest first: the table's own order is not the expiry order.
      for (let i = 0; i < 40; i++) await guard.begin(delivery({ key: `old-${i}`, expiresAt: T0 + 139 - i }));
      clock += 1_000;
      for (let i = 0; i < 7; i++) await guard.begin(delivery({ key: `fresh-${i}`, expiresAt: clock + 1_000 }));
      // 47 new deliveries so far, the last sweep at the 40th, before anything had expired.
      expect(await expired(clock)).toBe(40);
      await guard.begin(delivery({ key: "fresh-7", expiresAt: clock + 1_000 }));
      expect((await expiries()).slice(0, 8)).toEqual(Array.from({ length: 8 }, (_, i) => T0 + 132 + i));
      for (let i = 8; i < 16; i++) await guard.begin(delivery({ key: `fresh-${i}`, expiresAt: clock + 1_000 }));
      expect(await expired(clock)).toBe(0);
      expect(await count()).toBe(16);
    });

    it("deletes no more than the sweepRows given in one sweep, on the sweepEvery-th delivery", async () => {
      let clock = T0;
      const guard = createPostgresReplayGuard({ pool, now: () => clock, sweepEvery: 2, sweepRows: 2 });
      for (let i = 0; i < 8; i++) await guard.begin(delivery({ key: `old-${i}`, expiresAt: T0 + 1_000 }));
      clock += 1_000;
      const counts: number[] = [];
      for (let i = 0; i < 10; i++) {
        await guard.begin(delivery({ key: `fresh-${i}`, expiresAt: clock + 1_000 }));
        counts.push(await expired(clock));
      }
      expect(counts).toEqual([8, 6, 6, 4, 4, 2, 2, 0, 0, 0]);
      expect(await count()).toBe(10);
    });

    it("never deletes a row still inside its window: one expiring a millisecond from now stays, one expiring now goes", async () => {
      let clock = T0;
      const guard = createPostgresReplayGuard({ pool, now: () => clock, sweepEvery: 1, sweepRows: 100 });
      const at = T0 + 1_000;
      await guard.begin(delivery({ key: "expires-now", expiresAt: at }));
      await guard.begin(delivery({ key: "expires-next-ms", expiresAt: at + 1 }));
      const inWindow = await guard.begin(delivery({ key: "in-window", expiresAt: at + 300_000 }));
      if (inWindow.state !== "new") throw new Error(`expected new, got ${inWindow.state}`);
      await guard.complete(inWindow.claim, { status: 200, body: `{"ok":true}` });
      clock = at;
      await guard.begin(delivery({ key: "fresh-0", expiresAt: clock + 300_000 }));
      expect(await expiries()).toEqual([at + 1, at + 300_000, at + 300_000]);
      // The one in its window still answers its copies.
      expect(await guard.begin(delivery({ key: "in-window", expiresAt: at + 300_000 }))).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
      clock += 1;
      await guard.begin(delivery({ key: "fresh-1", expiresAt: clock + 300_000 }));
      expect(await expiries()).toEqual([at + 300_000, at + 300_000, at + 300_001]);
    });

    it("skips an expired row another transaction holds, without waiting for it, and deletes the others", async () => {
      let clock = T0;
      const guard = createPostgresReplayGuard({ pool, now: () => clock, sweepEvery: 4 });
      for (const key of ["1.a", "2.b", "3.c"]) await guard.begin(delivery({ key, expiresAt: T0 + 1_000 }));
      clock += 1_000;
      const holder = new pg.Client({ connectionString: schema.url });
      await holder.connect();
      try {
        // Another instance restarting that delivery holds its row until it commits.
        await holder.query("BEGIN");
        await holder.query("SELECT 1 FROM replay_guard WHERE key = $1 FOR UPDATE", [hashed("2.b")]);
        let letGo = false;
        const timer = setTimeout(() => void ((letGo = true), holder.query("ROLLBACK")), 15_000);
        expect((await guard.begin(delivery({ key: "4.d" }))).state).toBe("new");
        clearTimeout(timer);
        expect(letGo).toBe(false);
        expect(await keys()).toEqual([hashed("2.b"), hashed("4.d")].sort());
        await holder.query("ROLLBACK");
      } finally {
        await holder.end();
      }
    });

    it("refuses a sweepEvery or sweepRows that is not a whole number of at least 1", () => {
      for (const value of [0, -1, 2.5, Number.NaN]) {
        expect(() => createPostgresReplayGuard({ pool, sweepEvery: value })).toThrow(`sweepEvery must be a whole number, at least 1; got ${value}`);
        expect(() => createPostgresReplayGuard({ pool, sweepRows: value })).toThrow(`sweepRows must be a whole number, at least 1; got ${value}`);
      }
    });
  });

  describe("createPostgresReplayGuard(): its statements", () => {
    it("prepares each statement once per connection, by name", async () => {
      const single = schema.pool(1);
      let clock = T0;
      const guard = createPostgresReplayGuard({ pool: single, now: () => clock, sweepEvery: 2 });
      const claim = async (overrides: Partial<ReplayDelivery> = {}) => {
        const seen = await guard.begin(delivery(overrides));
        if (seen.state !== "new") throw new Error(`expected new, got ${seen.state}`);
        return seen.claim;
      };
      const first = await claim({ key: "1.a" });
      const tx = await single.connect();
      await tx.query("BEGIN");
      await guard.commitAnswer(tx, first, { status: 200, body: "{}" });
      await tx.query("COMMIT");
      tx.release();
      await guard.release(await claim({ key: "2.b" }));
      await guard.complete(await claim({ key: "3.c", expiresAt: T0 + 1_000 }), { status: 200, body: "{}" });
      await claim({ key: "4.d" });
      clock += 5_000;
      await claim({ key: "4.d" });
      await claim({ key: "3.c" });
      const { rows: prepared } = await single.query<{ name: string }>("SELECT name FROM pg_prepared_statements ORDER BY name COLLATE \"C\"");
      expect(prepared.map((row) => row.name)).toEqual(["guard.commitAnswer", "guard.complete", "guard.find", "guard.reclaim", "guard.release", "guard.restart", "guard.start", "guard.sweep"]);
    });
  });

  describe("createPostgresReplayGuard(): two instances at once", () => {
    let clock = T0;
    beforeEach(() => void (clock = T0));
    const now = () => clock;

    it.each([
      ["a new delivery", async () => undefined],
      [
        "a delivery whose record expired",
        async () => {
          await createPostgresReplayGuard({ pool, now }).begin(delivery({ expiresAt: T0 + 1_000 }));
          clock += 1_000;
        },
      ],
      [
        "a delivery left in flight 5 s",
        async () => {
          await createPostgresReplayGuard({ pool, now }).begin(delivery());
          clock += 5_000;
        },
      ],
    ])("%s: one claims it; the other, which read the row first, then waits for it (pending)", async (_name, before) => {
      await before();
      const slow = pauseAfter(pool, "guard.find");
      const racing = createPostgresReplayGuard({ pool: slow.pool, now }).begin(delivery({ expiresAt: T0 + 302_000 }));
      await slow.reached;
      const winner = await createPostgresReplayGuard({ pool, now }).begin(delivery({ expiresAt: T0 + 302_000 }));
      slow.resume();
      expect(await racing).toEqual({ state: "pending" });
      expect(winner.state).toBe("new");
      expect((await rows()).map((row) => row.claim)).toEqual([(winner as { claim: ReplayClaim }).claim.token]);
    });

    it("eight instances on their own connections begin one delivery at once: exactly one runs it", async () => {
      const pools = Array.from({ length: 8 }, () => schema.pool(1));
      const answers = await Promise.all(pools.map((own) => createPostgresReplayGuard({ pool: own, now }).begin(delivery())));
      expect(answers.filter((answer) => answer.state === "new")).toHaveLength(1);
      expect(answers.filter((answer) => answer.state === "pending")).toHaveLength(7);
      await Promise.all(pools.map((own) => own.end()));
    });
  });

  describe("withPostgresAnswerRecord()", () => {
    const add = { action: "add", store_id: "store-1", session_id: "recorded", sku: "milk", quantity: 2 } as const;
    const contextWith = (claim: ReplayClaim | undefined) =>
      ({
        kind: "cart",
        storeId: "store-1",
        sessionId: "recorded",
        requestId: "r-1",
        deadline: Date.now() + 4_500,
        secretIndex: 0,
        signal: new AbortController().signal,
        ...(claim && { replay: { ...claim, stored: (answer: unknown) => ({ status: 200, body: JSON.stringify(answer) }) } }),
      }) as WebhookContext;
    const line = async () =>
      (await schema.sql<{ milli: number }>("SELECT l.quantity_milli AS milli FROM carts c JOIN cart_lines l USING (cart_id) WHERE c.session_id = 'recorded'")).map(
        (row) => row.milli,
      );

    it("commits the answer with the change: a copy gets it though complete() never ran", async () => {
      let clock = Date.now();
      const guard = createPostgresReplayGuard({ pool, now: () => clock });
      const handlers = withPostgresAnswerRecord(createStoreHandlers(createPostgresStore({ pool })), guard);
      const seen = await guard.begin(delivery({ expiresAt: clock + 301_000 }));
      if (seen.state !== "new") throw new Error(`expected new, got ${seen.state}`);
      expect(await handlers.add!(add, contextWith(seen.claim))).toEqual({ ok: true });
      expect(await rows()).toMatchObject([{ status: 200, body: `{"ok":true}`, answered_at: null }]);
      expect(await line()).toEqual([2_000]);
      clock += 10;
      expect(await guard.begin(delivery({ expiresAt: clock + 301_000 }))).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
    });

    it("rolls the change back when another instance has taken the delivery over", async () => {
      let clock = Date.now();
      const guard = createPostgresReplayGuard({ pool, now: () => clock });
      const handlers = withPostgresAnswerRecord(createStoreHandlers(createPostgresStore({ pool })), guard);
      const stale = await guard.begin(delivery());
      clock += 5_000;
      expect((await guard.begin(delivery())).state).toBe("new");
      if (stale.state !== "new") throw new Error(`expected new, got ${stale.state}`);
      await expect(handlers.add!(add, contextWith(stale.claim))).rejects.toMatchObject({ code: "replay_claim_lost" });
      expect(await line()).toEqual([]);
      expect(await postgresReservationMismatches(schema.sql)).toEqual([]);
    });

    it("without a claim (the guard is off) makes the change and writes no guard row", async () => {
      const guard = createPostgresReplayGuard({ pool });
      const handlers = withPostgresAnswerRecord(createStoreHandlers(createPostgresStore({ pool })), guard);
      expect(await handlers.add!(add, contextWith(undefined))).toEqual({ ok: true });
      expect(await line()).toEqual([2_000]);
      expect(await rows()).toEqual([]);
    });
  });
} else {
  reportSkipped("createPostgresReplayGuard() at its edges", schema.skipReason);
}
