import { describe, expect, it } from "vitest";
import { createMemoryReplayGuard } from "vizochok-merchant-kit";

describe("createMemoryReplayGuard()", () => {
  it("reports a key as new, then pending, then done with the stored answer", () => {
    const guard = createMemoryReplayGuard({ now: () => 0 });
    expect(guard.begin("k", "/cart", 1000)).toEqual({ state: "new" });
    expect(guard.begin("k", "/cart", 1000)).toEqual({ state: "pending" });
    guard.complete("k", { status: 200, body: `{"ok":true}` });
    expect(guard.begin("k", "/cart", 1000)).toEqual({ state: "done", answer: { status: 200, body: `{"ok":true}` } });
    expect(guard.begin("k", "/check-products", 1000)).toEqual({ state: "other_path" });
  });

  it("forgets a released key so a retry runs again", () => {
    const guard = createMemoryReplayGuard({ now: () => 0 });
    guard.begin("k", "/cart", 1000);
    guard.release("k");
    expect(guard.begin("k", "/cart", 1000)).toEqual({ state: "new" });
  });

  it("treats an expired key as new", () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now });
    guard.begin("k", "/cart", 1000);
    guard.complete("k", { status: 200, body: "{}" });
    now = 1000;
    expect(guard.begin("k", "/cart", 2000)).toEqual({ state: "new" });
  });

  it("stays within maxEntries under 100k distinct deliveries, dropping the oldest", () => {
    const guard = createMemoryReplayGuard({ now: () => 0, maxEntries: 10_000 });
    for (let i = 0; i < 100_000; i++) {
      guard.begin(`k${i}`, "/cart", 600_000);
      guard.complete(`k${i}`, { status: 200, body: `{"ok":true}` });
    }
    expect(guard.size).toBeLessThanOrEqual(10_000);
    expect(guard.begin("k99999", "/cart", 600_000).state).toBe("done");
    expect(guard.begin("k0", "/cart", 600_000).state).toBe("new");
  });

  it("sweeps expired entries as new ones arrive", () => {
    let now = 0;
    const guard = createMemoryReplayGuard({ now: () => now });
    for (let i = 0; i < 5000; i++) guard.begin(`old${i}`, "/cart", 1000);
    now = 2000;
    for (let i = 0; i < 5000; i++) guard.begin(`new${i}`, "/cart", 3000);
    expect(guard.size).toBeLessThan(10_000);
  });
});
