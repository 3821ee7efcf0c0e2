// Four real store processes (`npm run store` with DATABASE_URL) on one PostgreSQL database:
// started at the same moment (they migrate and seed once between them), then the races that a
// single process never meets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { openPool } from "../../reference-store/postgres/database.js";
import { POSTGRES_MIGRATIONS } from "../../reference-store/postgres/migrations.js";
import { createPostgresStore } from "../../reference-store/postgres/store.js";
import { SECRET, signedPost } from "./helpers.js";
import { postgresReservationMismatches } from "./postgres-helpers.js";
import { createTestSchema, reportSkipped } from "./servers.js";
import { spawnStore, type StoreProcess } from "./spawn-store.js";

const schema = await createTestSchema("instances");
const stores: StoreProcess[] = [];

interface Answer {
  status: number;
  body: { ok?: boolean; reason?: string; error?: string };
  replayed: boolean;
}

async function post(store: StoreProcess, signed: { body: string; headers: Record<string, string> }): Promise<Answer> {
  const response = await fetch(`${store.url}/api/vizochok/cart`, { method: "POST", headers: signed.headers, body: signed.body });
  return { status: response.status, body: (await response.json()) as Answer["body"], replayed: response.headers.get("x-vizochok-replayed") === "1" };
}

/**
 * As VIZOCHOK does after a 5xx, sends the same bytes again — here until an answer comes (at most 6
 * tries): on a machine this busy, a burst can outlast a request's 4.5 s budget. A 503 commits
 * nothing, so the retries must still add up exactly.
 */
async function postUntilAnswered(store: StoreProcess, signed: { body: string; headers: Record<string, string> }): Promise<Answer & { timeouts: number }> {
  for (let timeouts = 0; ; timeouts++) {
    const answer = await post(store, signed);
    if (answer.status !== 503 || timeouts === 5) return { ...answer, timeouts };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const add = (session: string, sku: string, quantity = 1, extra: Record<string, unknown> = {}) =>
  signedPost({ action: "add", store_id: "store-1", session_id: session, sku, quantity, ...extra });

/** Units in cart lines for a SKU, per session. */
async function lines(sku: string): Promise<Map<string, number>> {
  const rows = await schema.sql<{ session_id: string; quantity_milli: number }>(
    "SELECT c.session_id, l.quantity_milli FROM carts c JOIN cart_lines l USING (cart_id) WHERE c.store_id = 'store-1' AND l.sku = $1",
    [sku],
  );
  return new Map(rows.map((row) => [row.session_id, row.quantity_milli / 1000]));
}

async function reserved(sku: string): Promise<number> {
  const rows = await schema.sql<{ reserved_milli: number }>("SELECT reserved_milli FROM stock WHERE store_id = 'store-1' AND sku = $1", [sku]);
  return rows[0]!.reserved_milli / 1000;
}

/** A SKU with no carts on it, `onHand` units on the shelf and an optional per-customer limit. */
async function freshSku(sku: string, onHand: number, maxPerCustomer: number | null = null): Promise<string> {
  await schema.sql("UPDATE stock SET on_hand_milli = $2 WHERE store_id = 'store-1' AND sku = $1", [sku, onHand * 1000]);
  await schema.sql("UPDATE products SET max_per_customer_milli = $2 WHERE sku = $1", [sku, maxPerCustomer === null ? null : maxPerCustomer * 1000]);
  expect(await reserved(sku)).toBe(0);
  return sku;
}

if (schema.skipReason !== undefined) reportSkipped("four store processes on one PostgreSQL database", schema.skipReason);
else {
  beforeAll(async () => {
    const env = { DATABASE_URL: schema.url, VIZOCHOK_WEBHOOK_SECRET: SECRET, DATABASE_PATH: undefined, DATABASE_POOL_SIZE: "8" };
    stores.push(...(await Promise.all([1, 2, 3, 4].map(() => spawnStore(env)))));
  }, 240_000);
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.stop()));
    await schema.drop();
  }, 60_000);

  describe("four store processes on one PostgreSQL database", () => {
    it("started at once, migrated and seeded once between them", async () => {
      expect(await schema.sql("SELECT version FROM schema_migrations ORDER BY version")).toEqual(POSTGRES_MIGRATIONS.map((_, index) => ({ version: index + 1 })));
      expect(await schema.sql("SELECT store_id FROM stores ORDER BY store_id")).toEqual([{ store_id: "store-1" }, { store_id: "store-2" }]);
      for (const store of stores) expect(await (await fetch(`${store.url}/healthz`)).json()).toEqual({ ok: true, schema_version: POSTGRES_MIGRATIONS.length });
    });

    it("100 parallel adds for 10 units across the four: exactly 10 acknowledged, 10 reserved", async () => {
      const sku = await freshSku("milk-004", 10);
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => postUntilAnswered(stores[i % 4]!, add(`hundred-${i}`, sku))));
      expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
      expect(answers.filter((answer) => answer.body.ok)).toHaveLength(10);
      expect(new Set(answers.filter((answer) => !answer.body.ok).map((answer) => answer.body.reason))).toEqual(new Set(["out_of_stock"]));
      expect([...(await lines(sku)).values()]).toEqual(Array(10).fill(1));
      expect(await reserved(sku)).toBe(10);
    });

    it("one shopper with a limit of 3 sends 20 parallel adds across the four: the line holds 3", async () => {
      const sku = await freshSku("milk-005", 1_000, 3);
      // Each add differs by its name, so none is a copy of another.
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postUntilAnswered(stores[i % 4]!, add("limited", sku, 1, { name: `Milk #${i}` }))),
      );
      expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
      expect(answers.filter((answer) => answer.body.ok)).toHaveLength(3);
      expect(answers.filter((answer) => !answer.body.ok).every((answer) => answer.body.reason === "max_3_per_customer")).toBe(true);
      expect(await lines(sku)).toEqual(new Map([["limited", 3]]));
      expect(await reserved(sku)).toBe(3);
    });

    it("one signed add delivered to all four at once: every ok answer is a change made, none made twice for one answer", async () => {
      const sku = await freshSku("milk-006", 100);
      const signed = add("everywhere", sku, 2);
      const answers = await Promise.all(stores.map((store) => post(store, signed)));
      expect(answers.map(({ status, body }) => ({ status, body }))).toEqual(Array(4).fill({ status: 200, body: { ok: true } }));
      // A copy that reached its process while the first was in flight got the first's answer
      // (replayed); one that reached it after the answer, within 1 s, is a new request and ran:
      // on a busy machine a process can take that long to take the request.
      const ran = answers.filter((answer) => !answer.replayed).length;
      expect(ran).toBeGreaterThanOrEqual(1);
      expect(await lines(sku)).toEqual(new Map([["everywhere", 2 * ran]]));
      expect(await reserved(sku)).toBe(2 * ran);
      const audited = await schema.sql("SELECT outcome FROM webhook_audit WHERE session_id = 'everywhere'");
      expect(audited).toEqual(Array(ran).fill({ outcome: "ok" }));
    });

    it("a row held by another transaction: 503 with nothing committed, rolled back inside the database; the retry applies once", async () => {
      const sku = await freshSku("milk-007", 100);
      const holder = new pg.Client({ connectionString: schema.url });
      await holder.connect();
      try {
        await holder.query("BEGIN");
        await holder.query("SELECT 1 FROM stock WHERE store_id = 'store-1' AND sku = $1 FOR UPDATE", [sku]);
        const signed = add("blocked", sku, 1);
        const blocked = await post(stores[1]!, signed);
        expect([blocked.status, blocked.body.error]).toEqual([503, "handler_timeout"]);
        // The store's own statement gives up (lock_timeout) while the row is still held: nothing
        // waits on it any more, and the attempt is audited as out of time. On a loaded machine the
        // database can cancel the statement a little after the kit's own timer has answered, so
        // both are awaited, with the row held all along.
        const waiting = async () =>
          (await holder.query("SELECT COUNT(*)::integer AS n FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")).rows[0].n as number;
        await expect.poll(waiting, { timeout: 20_000, interval: 50 }).toBe(0);
        const outcomes = async () =>
          (await schema.sql<{ outcome: string }>("SELECT outcome FROM webhook_audit WHERE session_id = 'blocked' ORDER BY id")).map((row) => row.outcome);
        await expect.poll(outcomes, { timeout: 20_000, interval: 50 }).toEqual(["deadline_exceeded"]);
        expect(await lines(sku)).toEqual(new Map());
        await holder.query("ROLLBACK");
        // VIZOCHOK's retry: the same bytes, now that the row is free.
        const retry = await post(stores[2]!, signed);
        expect([retry.status, retry.body, retry.replayed]).toEqual([200, { ok: true }, false]);
        expect(await lines(sku)).toEqual(new Map([["blocked", 1]]));
        expect(await reserved(sku)).toBe(1);
        expect(await outcomes()).toEqual(["deadline_exceeded", "ok"]);
      } finally {
        await holder.end();
      }
    }, 90_000);

    it("two sweepers at once release every expired cart exactly once", async () => {
      const sku = await freshSku("milk-008", 100);
      await Promise.all(Array.from({ length: 30 }, (_, i) => postUntilAnswered(stores[i % 4]!, add(`idle-${i}`, sku, 2))));
      expect(await reserved(sku)).toBe(60);
      // Age those carts past the store's 1 h TTL.
      await schema.sql("UPDATE carts SET updated_at = updated_at - 2 * 3600 * 1000 WHERE session_id LIKE 'idle-%'");
      const pools = [openPool(schema.url, { max: 2 }), openPool(schema.url, { max: 2 })];
      try {
        const [a, b] = pools.map((pool) => createPostgresStore({ pool }));
        const released = await Promise.all([a!.releaseExpiredCarts(), b!.releaseExpiredCarts()]);
        expect(released[0]! + released[1]!).toBe(30);
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
      }
      expect(await reserved(sku)).toBe(0);
      expect(await lines(sku)).toEqual(new Map());
    });

    it("every instance sweeping at once, through their products webhook, releases each cart once", async () => {
      const sku = await freshSku("milk-009", 100);
      await Promise.all(Array.from({ length: 24 }, (_, i) => postUntilAnswered(stores[i % 4]!, add(`stale-${i}`, sku, 3))));
      await post(stores[0]!, add("fresh", sku, 1));
      await schema.sql("UPDATE carts SET updated_at = updated_at - 2 * 3600 * 1000 WHERE session_id LIKE 'stale-%'");
      const products = signedPost({ store_id: "store-1", skus: [sku] });
      const answers = await Promise.all(
        stores.map(async (store) => {
          const response = await fetch(`${store.url}/api/vizochok/check-products`, { method: "POST", headers: products.headers, body: products.body });
          return response.status;
        }),
      );
      expect(answers).toEqual([200, 200, 200, 200]);
      expect(await lines(sku)).toEqual(new Map([["fresh", 1]]));
      expect(await reserved(sku)).toBe(1);
    });

    it("SIGKILL one instance mid-burst: every acknowledged add kept, none half-applied, no transaction left open", async () => {
      const sku = await freshSku("dairy-001", 100_000);
      const victim = stores[3]!;
      const acknowledged: string[] = [];
      let next = 0;
      let killed = false;
      const worker = async (w: number) => {
        for (let round = 0; next < 2_000; round++) {
          const session = `burst-${next++}`;
          const target = stores[(w + round) % 4]!;
          try {
            const answer = await post(target, add(session, sku, 2));
            if (answer.status === 200 && answer.body.ok === true) acknowledged.push(session);
          } catch {
            // The connection died with the process; the add may or may not have committed.
          }
          if (acknowledged.length >= 150 && !killed) {
            killed = true;
            await victim.kill();
          }
          if (killed && acknowledged.length >= 300) return;
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
      expect(killed).toBe(true);
      const saved = await lines(sku);
      for (const session of acknowledged) expect(saved.get(session)).toBe(2);
      expect([...saved.values()].every((quantity) => quantity === 2)).toBe(true);
      expect(await reserved(sku)).toBe(2 * saved.size);
      // The killed process's connections are gone, and none of the survivors' is stuck in a transaction.
      const open = await schema.sql<{ n: number }>(
        "SELECT COUNT(*)::integer AS n FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
        [schema.name],
      );
      expect(open[0]!.n).toBe(0);
      stores.splice(3, 1);
    }, 120_000);

    it("leaves reserved stock equal to what carts hold, for every product", async () => {
      expect(await postgresReservationMismatches(schema.sql)).toEqual([]);
    });
  });
}
