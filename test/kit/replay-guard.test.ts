import { describe, expect, it } from "vitest";
import { createMemoryReplayGuard, judgeDelivery, type ReplayDelivery, type ReplayRecord } from "vizochok-merchant-kit";
import { defineReplayGuardContract } from "./replay-guard-contract.js";

defineReplayGuardContract("createMemoryReplayGuard()", (now) => ({ guard: createMemoryReplayGuard({ now }) }), { commitsWithChange: false });

const delivery = (key: string, expiresAt: number): ReplayDelivery => ({ key, path: "/cart", expiresAt, ageMs: 0, identical: "apply" });

describe("createMemoryReplayGuard()", () => {
  it("stays within maxEntries under 100k distinct deliveries, dropping the oldest", () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now, maxEntries: 10_000 });
    for (let i = 0; i < 100_000; i++) {
      const seen = guard.begin(delivery(`k${i}`, 600_000));
      if (seen.state !== "new") throw new Error(`k${i} was ${seen.state}`);
      guard.complete(seen.claim, { status: 200, body: `{"ok":true}` });
    }
    expect(guard.size).toBe(10_000);
    now = 1_000; // a re-delivery, not a shopper's repeat
    expect(guard.begin(delivery("k99999", 600_000)).state).toBe("done");
    expect(guard.begin(delivery("k0", 600_000)).state).toBe("new");
  });

  it("sweeps expired entries as new ones arrive", () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now });
    for (let i = 0; i < 5000; i++) guard.begin(delivery(`old${i}`, 1000));
    now = 2000;
    for (let i = 0; i < 5000; i++) guard.begin(delivery(`new${i}`, 3000));
    expect(guard.size).toBe(5000);
  });
});

describe("judgeDelivery()", () => {
  const answered: ReplayRecord = {
    path: "/cart",
    arrivedAt: 10_000,
    claimedAt: 10_000,
    expiresAt: 400_000,
    answer: { status: 200, body: `{"ok":true}` },
    answeredAt: 10_300,
  };
  const copy = (arrivedAt: number, identical: "apply" | "refuse" = "apply") => ({ path: "/cart", arrivedAt, identical });
  const cases: [string, ReplayRecord | undefined, ReturnType<typeof copy>, number, string][] = [
    ["no record", undefined, copy(10_000), 10_000, "new"],
    ["an expired record", { ...answered, expiresAt: 20_000 }, copy(20_000), 20_000, "new"],
    ["another path", answered, { ...copy(10_100), path: "/other" }, 10_100, "other_path"],
    ["in flight, 4,999 ms after the claim", { ...answered, answer: undefined, answeredAt: undefined }, copy(14_999), 14_999, "pending"],
    ["in flight, 5,000 ms after the claim", { ...answered, answer: undefined, answeredAt: undefined }, copy(15_000), 15_000, "reclaim"],
    ["arrived before the answer, asked after it", answered, copy(10_299), 10_500, "done"],
    ["committed but never answered (the process died)", { ...answered, answeredAt: undefined }, copy(10_500), 10_500, "done"],
    ["after the answer, 999 ms after the first", answered, copy(10_999), 10_999, "reclaim"],
    ["after the answer, 999 ms after the first, refusing", answered, copy(10_999, "refuse"), 10_999, "duplicate"],
    ["1,000 ms after the first", answered, copy(11_000), 11_000, "done"],
    ["1,000 ms after the first, refusing", answered, copy(11_000, "refuse"), 11_000, "done"],
  ];
  for (const [name, record, arriving, at, verdict] of cases) {
    it(`${verdict} for ${name}`, () => {
      expect(judgeDelivery(record, arriving, { at })).toBe(verdict);
    });
  }
});
