// The in-memory guard's own promises, beyond the rule every guard shares.
import { describe, expect, it } from "vitest";
import { createMemoryReplayGuard, type ReplayDelivery } from "vizochok-merchant-kit";

const delivery = (key: string, fields: Partial<ReplayDelivery> = {}): ReplayDelivery => ({
  key,
  path: "/cart",
  expiresAt: 600_000,
  ageMs: 0,
  identical: "apply",
  ...fields,
});

describe("createMemoryReplayGuard() defaults and records", () => {
  it("remembers 100,000 deliveries by default and drops the oldest past that", () => {
    const guard = createMemoryReplayGuard({ now: () => 0 });
    for (let i = 0; i <= 100_000; i++) guard.begin(delivery(`k${i}`));
    expect(guard.size).toBe(100_000);
  });

  it("keeps the first recorded answer when the answer is recorded twice for one claim", () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now });
    const seen = guard.begin(delivery("k"));
    if (seen.state !== "new") throw new Error(seen.state);
    guard.complete(seen.claim, { status: 200, body: `{"ok":true}` });
    guard.complete(seen.claim, { status: 200, body: `{"ok":false,"reason":"out_of_stock"}` });
    now = 1_000;
    expect(guard.begin(delivery("k"))).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
  });

  it("a copy that arrived before the answer but is asked about after it gets that answer", () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now });
    const seen = guard.begin(delivery("k"));
    if (seen.state !== "new") throw new Error(seen.state);
    now = 300;
    guard.complete(seen.claim, { status: 200, body: `{"ok":true}` });
    now = 500;
    // Arrived at 100 ms (400 ms ago), while the first was still in flight.
    expect(guard.begin(delivery("k", { ageMs: 400 }))).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
    // A clock that says it arrived in the future counts as arriving now: a new request.
    expect(guard.begin(delivery("k", { ageMs: -10_000 })).state).toBe("new");
  });

  it("complete and release of a claim whose record is gone or taken over change nothing", () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now });
    const first = guard.begin(delivery("k", { expiresAt: 1_000 }));
    if (first.state !== "new") throw new Error(first.state);
    now = 1_000; // expired: the next copy starts afresh and holds the record
    const second = guard.begin(delivery("k", { expiresAt: 10_000 }));
    if (second.state !== "new") throw new Error(second.state);
    guard.release(first.claim);
    guard.complete(first.claim, { status: 200, body: `{"ok":false,"reason":"out_of_stock"}` });
    expect(guard.begin(delivery("k", { expiresAt: 10_000 }))).toEqual({ state: "pending" });
    guard.complete(second.claim, { status: 200, body: `{"ok":true}` });
    guard.release(second.claim);
    now = 2_000;
    expect(guard.begin(delivery("k", { expiresAt: 10_000 }))).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
    expect(() => guard.complete({ key: "never-seen", token: "t" }, { status: 200, body: "{}" })).not.toThrow();
    expect(guard.size).toBe(1);
  });
});
