// The in-memory guard and the identical-delivery rule at their edges: the exact millisecond a
// record expires or an answer goes out, a delivery begun again after a release, and a delivery
// that is already past its expiry when it is begun.
import { describe, expect, it } from "vitest";
import { createMemoryReplayGuard, judgeDelivery, type ReplayDelivery } from "vizochok-merchant-kit";

const OK = { status: 200, body: `{"ok":true}` };

const delivery = (key: string, fields: Partial<ReplayDelivery> = {}): ReplayDelivery => ({
  key,
  path: "/cart",
  expiresAt: 300_000,
  ageMs: 0,
  identical: "apply",
  ...fields,
});

function guardWithClock() {
  let now = 0;
  const guard = createMemoryReplayGuard({ now: () => now });
  const claimed = (key: string, fields: Partial<ReplayDelivery> = {}) => {
    const seen = guard.begin(delivery(key, fields));
    if (seen.state !== "new") throw new Error(`expected a new claim, got ${seen.state}`);
    return seen.claim;
  };
  return { guard, claimed, at: (ms: number) => void (now = ms) };
}

describe("createMemoryReplayGuard() at the edges", () => {
  it("a delivery begun again after a release keeps its new record when the old one's expiry passes", () => {
    const { guard, claimed, at } = guardWithClock();
    // The first attempt expires at 1 s and fails (released); a retry at 0.5 s is good until 300 s.
    guard.release(claimed("k", { expiresAt: 1_000 }));
    at(500);
    const retry = claimed("k");
    at(1_000);
    // Another delivery arrives once the first attempt's expiry has passed.
    claimed("other");
    expect(guard.size).toBe(2);
    guard.complete(retry, OK);
    at(1_600);
    expect(guard.begin(delivery("k", { ageMs: 0 }))).toEqual({ state: "done", answer: OK });
  });

  it("a record leaves at the very millisecond of its expiry", () => {
    const { guard, claimed, at } = guardWithClock();
    claimed("k", { expiresAt: 1_000 });
    at(999);
    claimed("a");
    expect(guard.size).toBe(2);
    at(1_000);
    claimed("b");
    expect(guard.size).toBe(2);
    expect(guard.begin(delivery("k")).state).toBe("new");
  });

  it("a delivery already past its expiry is claimed and forgotten at once", () => {
    const { guard, claimed, at } = guardWithClock();
    at(2_000);
    const first = claimed("k", { expiresAt: 1_000 });
    expect(guard.size).toBe(0);
    const again = claimed("k", { expiresAt: 1_000 });
    expect(again.token).not.toBe(first.token);
    expect(guard.size).toBe(0);
  });
});

describe("judgeDelivery() at the answer's millisecond", () => {
  const record = {
    path: "/cart",
    arrivedAt: 10_000,
    claimedAt: 10_000,
    expiresAt: 400_000,
    answer: OK,
    answeredAt: 10_300,
  };

  it("a copy arriving in the same millisecond as the answer went out is a new request, not a wait for it", () => {
    expect(judgeDelivery(record, { path: "/cart", arrivedAt: 10_300, identical: "apply" }, { at: 10_300 })).toBe("reclaim");
    expect(judgeDelivery(record, { path: "/cart", arrivedAt: 10_300, identical: "refuse" }, { at: 10_300 })).toBe("duplicate");
    expect(judgeDelivery(record, { path: "/cart", arrivedAt: 10_299, identical: "apply" }, { at: 10_300 })).toBe("done");
  });

  it("the memory guard applies it: a copy in the answer's millisecond runs again", () => {
    const { guard, claimed, at } = guardWithClock();
    const first = claimed("k");
    at(300);
    guard.complete(first, OK);
    expect(guard.begin(delivery("k")).state).toBe("new");
  });
});
