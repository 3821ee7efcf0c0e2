import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import {
  createRedisReplayGuard,
  createWebWebhookHandler,
  signWebhook,
  silentLogger,
  type ReplayGuard,
  type ReplayLookup,
  type WebhookHandlers,
} from "vizochok-merchant-kit";
import { probeRedis, reportSkipped, TEST_REDIS_URL } from "../reference-store/servers.js";
import { defineReplayGuardContract } from "./replay-guard-contract.js";

const newClient = () => createClient({ url: TEST_REDIS_URL });
type Client = ReturnType<typeof newClient>;

const skipReason = await probeRedis();
const filePrefix = `test:replay:${process.pid}:${randomBytes(4).toString("hex")}:`;
const clients: Client[] = [];

async function connect(): Promise<Client> {
  const client = newClient();
  client.on("error", () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

/** The keys under `prefix`, read with SCAN as an operator would. */
async function keysUnder(client: Client, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
  return keys;
}

afterAll(async () => {
  const [admin] = clients;
  if (admin !== undefined) {
    const left = await keysUnder(admin, filePrefix);
    if (left.length > 0) await admin.del(left);
  }
  await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
});

if (skipReason === undefined) {
  const client = await connect();
  let cases = 0;

  defineReplayGuardContract(
    "createRedisReplayGuard({ client })",
    (now) => {
      const keyPrefix = `${filePrefix}contract:${++cases}:`;
      return {
        guard: createRedisReplayGuard({ client, keyPrefix, now }),
        close: async () => {
          const keys = await keysUnder(client, keyPrefix);
          if (keys.length > 0) await client.del(keys);
        },
      };
    },
    { commitsWithChange: false },
  );

  // The same scripts through `evaluate`, as an ioredis or Upstash client runs them: plain EVAL.
  defineReplayGuardContract(
    "createRedisReplayGuard({ evaluate })",
    (now) => {
      const keyPrefix = `${filePrefix}evaluate:${++cases}:`;
      const evaluate = (script: string, keys: string[], args: string[]) => client.sendCommand(["EVAL", script, String(keys.length), ...keys, ...args]);
      return {
        guard: createRedisReplayGuard({ evaluate, keyPrefix, now }),
        close: async () => {
          const keys = await keysUnder(client, keyPrefix);
          if (keys.length > 0) await client.del(keys);
        },
      };
    },
    { commitsWithChange: false },
  );

  describe("createRedisReplayGuard(): what it keeps in Redis", () => {
    it("one hashed key per delivery under the prefix, expiring when the signature leaves its window", async () => {
      const keyPrefix = `${filePrefix}ttl:`;
      const at = Date.now();
      const guard = createRedisReplayGuard({ client, keyPrefix, now: () => at });
      const seen = await guard.begin({ key: "1767225600.deadbeef", path: "/cart", expiresAt: at + 301_000, ageMs: 0, identical: "apply" });
      expect(seen.state).toBe("new");
      const keys = await keysUnder(client, keyPrefix);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(new RegExp(`^${keyPrefix}[0-9a-f]{64}$`));
      expect(keys[0]).not.toContain("deadbeef");
      const ttl = await client.pTTL(keys[0]!);
      expect(ttl).toBeGreaterThan(290_000);
      expect(ttl).toBeLessThanOrEqual(301_000);
    });

    it("prefixes keep apps apart: the same delivery is new under each", async () => {
      const delivery = { key: "1767225600.cafe", path: "/cart", expiresAt: Date.now() + 301_000, ageMs: 0, identical: "apply" } as const;
      const one = createRedisReplayGuard({ client, keyPrefix: `${filePrefix}app-one:` });
      const two = createRedisReplayGuard({ client, keyPrefix: `${filePrefix}app-two:` });
      expect((await one.begin(delivery)).state).toBe("new");
      expect((await two.begin(delivery)).state).toBe("new");
      expect(await one.begin(delivery)).toEqual({ state: "pending" });
    });

    it("works when Redis has forgotten its script cache (SCRIPT FLUSH)", async () => {
      const keyPrefix = `${filePrefix}flush:`;
      const guard = createRedisReplayGuard({ client, keyPrefix });
      const delivery = { key: "1767225600.f00d", path: "/cart", expiresAt: Date.now() + 301_000, ageMs: 0, identical: "apply" } as const;
      const first = await guard.begin(delivery);
      await client.scriptFlush();
      expect(await guard.begin(delivery)).toEqual({ state: "pending" });
      if (first.state !== "new") throw new Error(`expected new, got ${first.state}`);
      await guard.complete(first.claim, { status: 200, body: `{"ok":true}` });
      expect(await guard.begin({ ...delivery, ageMs: 1_000 })).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
    });

    it("refuses unusable options at setup", () => {
      expect(() => createRedisReplayGuard({})).toThrow(/exactly one of `client`/);
      expect(() => createRedisReplayGuard({ client, evaluate: async () => null })).toThrow(/exactly one of `client`/);
      expect(() => createRedisReplayGuard({ client: {} as never })).toThrow(/no eval method/);
      expect(() => createRedisReplayGuard({ client, abandonAfterMs: 0 })).toThrow(/abandonAfterMs/);
    });
  });

  describe("two instances sharing one Redis, each with its own client", () => {
    const SECRET = "whsec_redis_instances";
    const body = JSON.stringify({ action: "add", store_id: "store-1", session_id: "s-1", sku: "milk-001", quantity: 1 });

    /** One app instance: its own Redis connection and guard, a handler that counts the adds it applies. */
    /** Which `send` a guard lookup belongs to, so repeated polls of one waiting copy count once. */
    const copyOf = new AsyncLocalStorage<number>();
    type Look = { state: ReplayLookup["state"]; copy: number | undefined };

    async function instance(keyPrefix: string, now: () => number, applied: string[], hold: () => Promise<void>, looks: Look[]) {
      const inner = createRedisReplayGuard({ client: await connect(), keyPrefix, now });
      const replayGuard: ReplayGuard = {
        async begin(delivery) {
          const seen = await inner.begin(delivery);
          looks.push({ state: seen.state, copy: copyOf.getStore() });
          return seen;
        },
        complete: (claim, answer) => inner.complete(claim, answer),
        release: (claim) => inner.release(claim),
      };
      const handlers: WebhookHandlers = {
        products: () => ({ products: [] }),
        add: async (request) => {
          applied.push(request.sku);
          await hold();
          return { ok: true };
        },
      };
      return createWebWebhookHandler({ secret: SECRET, handlers, replayGuard, now, logger: silentLogger, paths: { cart: "/cart" } });
    }

    async function setup(label: string) {
      // The real clock (an answer is later than the copies that arrived before it), moved on at will.
      let offset = 0;
      const now = () => Date.now() + offset;
      const applied: string[] = [];
      const looks: Look[] = [];
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const keyPrefix = `${filePrefix}${label}:`;
      const a = await instance(keyPrefix, now, applied, () => gate, looks);
      const b = await instance(keyPrefix, now, applied, () => gate, looks);
      const headers = { ...signWebhook({ secret: SECRET, body, timestamp: Math.floor(now() / 1000) }), "content-type": "application/json" };
      let sent = 0;
      const send = (to: (request: Request) => Promise<Response>) => copyOf.run(++sent, () => deliver(to));
      const deliver = async (to: (request: Request) => Promise<Response>) => {
        const response = await to(new Request("http://instance/cart", { method: "POST", headers, body }));
        return { status: response.status, replayed: response.headers.get("x-vizochok-replayed"), body: await response.text() };
      };
      /** Resolves once `count` distinct copies have been told to wait (a waiting copy asks again). */
      const waiting = async (count: number) => {
        const waitingCopies = () => new Set(looks.filter((look) => look.state === "pending").map((look) => look.copy)).size;
        while (waitingCopies() < count) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      // The answer is given at least 1 ms after the copies that were told to wait arrived.
      const answer = () => {
        offset += 1;
        open();
      };
      return { a, b, send, applied, looks, open: answer, waiting, advance: (ms: number) => void (offset += ms) };
    }

    it("a copy arriving at the second instance while the first is in flight waits and gets the first's answer", async () => {
      const { a, b, send, applied, open, waiting } = await setup("in-flight");
      const first = send(a);
      while (applied.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const copy = send(b);
      await waiting(1);
      expect(applied).toHaveLength(1);
      open();
      expect(await first).toEqual({ status: 200, replayed: null, body: `{"ok":true}` });
      expect(await copy).toEqual({ status: 200, replayed: "1", body: `{"ok":true}` });
      expect(applied).toEqual(["milk-001"]);
    });

    it("one delivery sent to both instances at once, twice each, is applied once and all four get its answer", async () => {
      const { a, b, send, applied, looks, open, waiting } = await setup("at-once");
      const answers = Promise.all([send(a), send(b), send(a), send(b)]);
      await waiting(3);
      open();
      const got = await answers;
      expect(applied).toEqual(["milk-001"]);
      expect(looks.filter((look) => look.state === "new")).toHaveLength(1);
      expect(got.map((answer) => [answer.status, answer.body])).toEqual(Array(4).fill([200, `{"ok":true}`]));
      expect(got.filter((answer) => answer.replayed === "1")).toHaveLength(3);
    });

    it("a re-delivery 1 s later at the other instance gets the recorded answer and changes nothing", async () => {
      const { a, b, send, applied, open, advance } = await setup("redelivery");
      open();
      expect(await send(a)).toEqual({ status: 200, replayed: null, body: `{"ok":true}` });
      advance(1_000);
      expect(await send(b)).toEqual({ status: 200, replayed: "1", body: `{"ok":true}` });
      expect(applied).toEqual(["milk-001"]);
    });
  });
} else {
  reportSkipped("createRedisReplayGuard()", skipReason);
}
