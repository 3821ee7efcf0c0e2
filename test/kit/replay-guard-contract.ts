// The identical-delivery rule, as every ReplayGuard must apply it. Each backend's test file calls
// defineReplayGuardContract with a factory; every case gets a fresh guard and a clock it moves.
import { afterEach, describe, expect, it } from "vitest";
import type { ReplayClaim, ReplayDelivery, ReplayGuard, ReplayLookup, StoredAnswer } from "vizochok-merchant-kit";

export interface GuardUnderTest {
  guard: ReplayGuard;
  /** The backend's fenced in-transaction answer write, where it has one. */
  commitAnswer?: (claim: ReplayClaim, answer: StoredAnswer) => void | Promise<void>;
  close?: () => void | Promise<void>;
}

/** `now` is the guard's clock; the guard must read every time from it. */
export type GuardFactory = (now: () => number) => GuardUnderTest | Promise<GuardUnderTest>;

const T0 = 1_767_225_600_000;
const OK: StoredAnswer = { status: 200, body: `{"ok":true}` };
const OUT: StoredAnswer = { status: 200, body: `{"ok":false,"reason":"out_of_stock"}` };

export interface GuardContractOptions {
  /** The backend offers a fenced answer write for the store's transaction (`commitAnswer`). */
  commitsWithChange: boolean;
}

export function defineReplayGuardContract(name: string, factory: GuardFactory, options: GuardContractOptions): void {
  describe(`${name}: the identical-delivery rule`, () => {
    let clock = T0;
    let current: GuardUnderTest | undefined;
    afterEach(async () => {
      await current?.close?.();
      current = undefined;
    });

    async function setup() {
      clock = T0;
      current = await factory(() => clock);
      const { guard } = current;
      const delivery = (overrides: Partial<ReplayDelivery> = {}): ReplayDelivery => ({
        key: "1767225600.abc",
        path: "/cart",
        expiresAt: T0 + 301_000,
        ageMs: 0,
        identical: "apply",
        ...overrides,
      });
      const begin = (overrides: Partial<ReplayDelivery> = {}): Promise<ReplayLookup> => Promise.resolve(guard.begin(delivery(overrides)));
      const claimed = async (overrides: Partial<ReplayDelivery> = {}): Promise<ReplayClaim> => {
        const seen = await begin(overrides);
        if (seen.state !== "new") throw new Error(`expected a new claim, got ${seen.state}`);
        return seen.claim;
      };
      const commitAnswer = async (claim: ReplayClaim, answer: StoredAnswer) => {
        if (current?.commitAnswer === undefined) throw new Error(`${name} has no commitAnswer`);
        await current.commitAnswer(claim, answer);
      };
      return { guard, commitAnswer, begin, claimed, advance: (ms: number) => void (clock += ms) };
    }

    it("a copy arriving while the first is in flight waits, then gets the first's answer", async () => {
      const { guard, begin, claimed, advance } = await setup();
      const first = await claimed();
      advance(100);
      expect(await begin()).toEqual({ state: "pending" });
      advance(400);
      await guard.complete(first, OK);
      // Asked again 2 ms after the answer, but it arrived 500 ms ago: in flight when it arrived.
      advance(2);
      expect(await begin({ ageMs: 402 })).toEqual({ state: "done", answer: OK });
    });

    it("a copy arriving after the answer and < 1 s after the first is a new request: it runs", async () => {
      const { guard, begin, claimed, advance } = await setup();
      const first = await claimed();
      advance(300);
      await guard.complete(first, OK);
      advance(699);
      const again = await begin();
      expect(again.state).toBe("new");
      if (again.state !== "new") return;
      expect(again.claim.token).not.toBe(first.token);
      // While the repeat runs, a further copy waits for the repeat's answer.
      expect(await begin()).toEqual({ state: "pending" });
      await guard.complete(again.claim, OUT);
      advance(1);
      expect(await begin()).toEqual({ state: "done", answer: OUT });
    });

    it("the same copy under identical: refuse is a duplicate, and the record keeps the first answer", async () => {
      const { guard, begin, claimed, advance } = await setup();
      const first = await claimed({ identical: "refuse" });
      advance(200);
      await guard.complete(first, OK);
      advance(10);
      expect(await begin({ identical: "refuse" })).toEqual({ state: "duplicate" });
      advance(790);
      expect(await begin({ identical: "refuse" })).toEqual({ state: "done", answer: OK });
    });

    it("a copy 999 ms after the first arrived, after its answer, still runs", async () => {
      const { guard, begin, claimed, advance } = await setup();
      const first = await claimed();
      advance(200);
      await guard.complete(first, OK);
      advance(799);
      expect((await begin({ ageMs: 0 })).state).toBe("new");
    });

    it("a copy exactly 1 s after the first arrived is a re-delivery", async () => {
      const { guard, begin, claimed, advance } = await setup();
      const first = await claimed();
      advance(200);
      await guard.complete(first, OK);
      advance(800);
      expect(await begin()).toEqual({ state: "done", answer: OK });
      advance(1_500);
      expect(await begin()).toEqual({ state: "done", answer: OK });
    });

    it("a first attempt that committed nothing and never answered is taken over after 5 s; the old owner's writes change nothing", async () => {
      const { guard, begin, claimed, advance } = await setup();
      const stale = await claimed();
      advance(4_999);
      expect(await begin()).toEqual({ state: "pending" });
      advance(1);
      const takeover = await claimed();
      expect(takeover.token).not.toBe(stale.token);
      await guard.complete(stale, OUT);
      await guard.release(stale);
      expect(await begin()).toEqual({ state: "pending" });
      await guard.complete(takeover, OK);
      advance(1_000);
      expect(await begin()).toEqual({ state: "done", answer: OK });
    });

    it("a released attempt (5xx, nothing committed) runs again on the next copy", async () => {
      const { guard, begin, claimed } = await setup();
      const first = await claimed();
      await guard.release(first);
      expect((await begin()).state).toBe("new");
    });

    it("a failed repeat is forgotten, so a retry of it runs", async () => {
      const { guard, begin, claimed, advance } = await setup();
      const first = await claimed();
      await guard.complete(first, OK);
      advance(100);
      const repeat = await claimed();
      await guard.release(repeat);
      advance(2_000);
      expect((await begin()).state).toBe("new");
    });

    it("the same key on another path is other_path", async () => {
      const { guard, begin, claimed } = await setup();
      await guard.complete(await claimed(), OK);
      expect(await begin({ path: "/check-products" })).toEqual({ state: "other_path" });
    });

    it("a record lasts until its expiry: a copy 299 s after the first still gets the answer", async () => {
      const { guard, begin, claimed, advance } = await setup();
      await guard.complete(await claimed(), OK);
      advance(299_000);
      // Other deliveries arriving meanwhile (a guard may sweep then) leave it in place.
      await guard.complete(await claimed({ key: "1767225899.def", expiresAt: T0 + 600_000 }), OK);
      expect(await begin()).toEqual({ state: "done", answer: OK });
      advance(1_999);
      expect(await begin()).toEqual({ state: "done", answer: OK });
      advance(1);
      expect((await begin({ expiresAt: T0 + 602_000 })).state).toBe("new");
    });

    it("an expired record is forgotten: the next copy starts afresh", async () => {
      const { guard, begin, claimed, advance } = await setup();
      await guard.complete(await claimed({ expiresAt: T0 + 1_000 }), OK);
      advance(1_000);
      expect((await begin({ expiresAt: T0 + 302_000 })).state).toBe("new");
    });

    it("keys are independent", async () => {
      const { begin, claimed } = await setup();
      await claimed();
      expect((await begin({ key: "1767225600.def" })).state).toBe("new");
    });

    if (!options.commitsWithChange) return;

    it("an answer committed with the change answers every later copy, even if the process died before complete", async () => {
      const { guard, commitAnswer, begin, claimed, advance } = await setup();
      const first = await claimed();
      await commitAnswer(first, OK);
      // The process died here: no complete, no release. Copies wait for nothing and change nothing.
      advance(10);
      expect(await begin()).toEqual({ state: "done", answer: OK });
      advance(60_000);
      expect(await begin()).toEqual({ state: "done", answer: OK });
      // A release (5xx after the commit) keeps the record: the change stands.
      await guard.release(first);
      expect(await begin()).toEqual({ state: "done", answer: OK });
    });

    it("the fenced write throws once another request took the delivery over", async () => {
      const { commitAnswer, begin, claimed, advance } = await setup();
      const stale = await claimed();
      advance(5_000);
      const takeover = await claimed();
      await expect(commitAnswer(stale, OUT)).rejects.toMatchObject({ code: "replay_claim_lost" });
      await commitAnswer(takeover, OK);
      await expect(commitAnswer(takeover, OUT)).rejects.toMatchObject({ code: "replay_claim_lost" });
      expect(await begin()).toEqual({ state: "done", answer: OK });
    });
  });
}
