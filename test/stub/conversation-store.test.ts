// The stub's conversations: one idle past its tenant's session TTL is gone, and a stub left
// running holds only the conversations of the last TTL, not every one it ever started.
import { describe, expect, it } from "vitest";
import { createConversationStore } from "../../src/testing/chat/conversations.js";

const HOUR = 3_600_000;

function storeAt(start = 0) {
  const clock = { now: start };
  let serial = 0;
  const store = createConversationStore(() => clock.now, () => `c${++serial}`);
  return { clock, store };
}

describe("conversation store", () => {
  it("keeps a conversation while it is active and forgets it once idle past its TTL", () => {
    const { clock, store } = storeAt();
    const kept = store.create("t", "store-1", "shopper-1", HOUR);
    clock.now += HOUR; // idle exactly the TTL: still there
    expect(store.get(kept.id, HOUR)).toBe(kept);
    clock.now += 1;
    expect(store.get(kept.id, HOUR)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it("drops expired conversations nobody asks about again when new ones start, a few per start", () => {
    const { clock, store } = storeAt();
    for (let i = 0; i < 20; i++) store.create("t", "store-1", `old-${i}`, HOUR);
    clock.now += HOUR + 1;
    const fresh = store.create("t", "store-1", "new-0", HOUR);
    expect(store.size).toBe(20 - 8 + 1); // eight dropped by one start
    store.create("t", "store-1", "new-1", HOUR);
    store.create("t", "store-1", "new-2", HOUR);
    expect(store.size).toBe(3); // the twenty old ones are gone, the three new ones kept
    expect(store.get(fresh.id, HOUR)).toBe(fresh);
  });

  it("keeps one touched since, however long ago it started, and one mid-turn", () => {
    const { clock, store } = storeAt();
    const touched = store.create("t", "store-1", "touched", HOUR);
    const busy = store.create("t", "store-1", "busy", HOUR);
    const idle = store.create("t", "store-1", "idle", HOUR);
    busy.busy = true;
    clock.now += HOUR / 2;
    store.touch(touched);
    clock.now += HOUR / 2 + 1; // `busy` and `idle` are past the TTL, `touched` half way
    store.create("t", "store-1", "new", HOUR);
    expect(store.get(idle.id, HOUR)).toBeUndefined();
    expect(store.get(busy.id, HOUR)).toBe(busy);
    expect(store.get(touched.id, HOUR)).toBe(touched);
    expect(store.size).toBe(3);
  });

  it("uses each conversation's own TTL: a longer one is not cut short by a shorter tenant's", () => {
    const { clock, store } = storeAt();
    const long = store.create("long", "store-1", "a", 2 * HOUR);
    const short = store.create("short", "store-1", "b", HOUR);
    clock.now += HOUR + 1;
    store.create("short", "store-1", "c", HOUR);
    expect(store.get(long.id, 2 * HOUR)).toBe(long);
    expect(store.size).toBe(3); // `short` waits behind `long`, which is older and still live
    clock.now += HOUR;
    store.create("short", "store-1", "d", HOUR);
    expect(store.get(short.id, HOUR)).toBeUndefined();
    expect(store.get(long.id, 2 * HOUR)).toBeUndefined();
  });

  it("does not bring back a conversation dropped before its connection touches it", () => {
    const { clock, store } = storeAt();
    const dropped = store.create("t", "store-1", "gone", HOUR);
    clock.now += HOUR + 1;
    store.create("t", "store-1", "new", HOUR);
    store.touch(dropped);
    expect(store.size).toBe(1);
    expect(store.get(dropped.id, HOUR)).toBeUndefined();
  });
});
