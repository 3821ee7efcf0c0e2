// When the kit answers on its own — a handler past its budget, a copy still waiting for another
// process — read on a fake clock: every answer must arrive at the exact millisecond it is due.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMemoryReplayGuard, createWebWebhookHandler, type ReplayGuard, type ReplayLookup, type WebhookKitOptions } from "vizochok-merchant-kit";
import { NOW, SECRET, cartBody, createCapturingLogger, createRecordingMerchant, productsBody, signedPost } from "./merchant.js";

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

const clock = () => Date.now();
const request = (path: string, body: string) => new Request(`http://shop.test${path}`, { method: "POST", headers: signedPost(body), body });

/** A promise whose state can be read without awaiting it. */
function watch<T>(promise: Promise<T>): { settled: () => boolean; value: Promise<T> } {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  return { settled: () => settled, value: promise };
}

describe("the handler budget, on an injected clock", () => {
  it("503 handler_timeout exactly 4,500 ms after the request arrived, not a millisecond before", async () => {
    const logger = createCapturingLogger();
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let signal: AbortSignal | undefined;
    const handle = createWebWebhookHandler({
      secret: SECRET,
      now: clock,
      logger,
      handlers: {
        products(_request, context) {
          signal = context.signal;
          entered();
          return new Promise(() => {});
        },
      },
    });
    const answer = watch(handle(request("/check-products", productsBody())));
    await inHandler;
    await vi.advanceTimersByTimeAsync(4_499);
    expect(answer.settled()).toBe(false);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(answer.settled()).toBe(true);
    const response = await answer.value;
    expect([response.status, await response.json()]).toEqual([503, { error: "handler_timeout", message: "handler did not answer within the 4500 ms budget" }]);
    expect(signal?.aborted).toBe(true);
    expect(logger.lines.at(-1)?.fields).toMatchObject({ status: 503, code: "handler_timeout", durationMs: 4_500 });
  });

  it("a custom budget is kept to the millisecond too", async () => {
    const handle = createWebWebhookHandler({ secret: SECRET, now: clock, budgetMs: 250, logger: createCapturingLogger(), handlers: { products: () => new Promise(() => {}) } });
    const answer = watch(handle(request("/check-products", productsBody())));
    await vi.advanceTimersByTimeAsync(249);
    expect(answer.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(answer.settled()).toBe(true);
    expect((await answer.value).status).toBe(503);
  });
});

describe("a copy of a cart POST another process is still handling", () => {
  const body = cartBody({ action: "add", sku: "milk-001" });
  const headers = signedPost(body);

  /** The shared guard, as a second process sees it, with the first process's claim already on it. */
  function sharedGuard() {
    const inner = createMemoryReplayGuard({ now: clock });
    const seen: ReplayLookup["state"][] = [];
    const guard: ReplayGuard = {
      begin(delivery) {
        const lookup = inner.begin(delivery);
        seen.push(lookup.state);
        return lookup;
      },
      complete: (claim, answer) => inner.complete(claim, answer),
      release: (claim) => inner.release(claim),
    };
    const first = inner.begin({
      key: `${headers["X-VIZOCHOK-Timestamp"]}.${headers["X-VIZOCHOK-Signature"]!.slice("sha256=".length)}`,
      path: "/cart",
      expiresAt: NOW + 301_000,
      ageMs: 0,
      identical: "apply",
    });
    if (first.state !== "new") throw new Error(`the first process could not claim the delivery: ${first.state}`);
    return { guard, seen, inner, claim: first.claim };
  }

  function kit(guard: ReplayGuard, extra: Partial<WebhookKitOptions> = {}) {
    const merchant = createRecordingMerchant();
    const handle = createWebWebhookHandler({ secret: SECRET, now: clock, handlers: merchant.handlers, replayGuard: guard, logger: createCapturingLogger(), ...extra });
    return { merchant, send: () => watch(handle(new Request("http://shop.test/cart", { method: "POST", headers, body }))) };
  }

  it("waits for the first's answer and sends it, without running the handler", async () => {
    const shared = sharedGuard();
    const { merchant, send } = kit(shared.guard);
    const copy = send();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(copy.settled()).toBe(false);
    expect(shared.seen.length).toBeGreaterThan(1);
    expect(new Set(shared.seen)).toEqual(new Set(["pending"]));
    shared.inner.complete(shared.claim, { status: 200, body: `{"ok":true}` });
    await vi.advanceTimersByTimeAsync(20);
    expect(copy.settled()).toBe(true);
    const response = await copy.value;
    expect([response.status, await response.text(), response.headers.get("x-vizochok-replayed")]).toEqual([200, `{"ok":true}`, "1"]);
    expect(merchant.calls).toEqual([]);
  });

  it("503 request_in_flight once its own budget is spent, exactly then, and nothing applied", async () => {
    const shared = sharedGuard();
    const { merchant, send } = kit(shared.guard);
    const copy = send();
    await vi.advanceTimersByTimeAsync(4_499);
    expect(copy.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(copy.settled()).toBe(true);
    const response = await copy.value;
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "request_in_flight", message: "the same delivery is still being handled" });
    expect(merchant.calls).toEqual([]);
    // The first process still holds the delivery: its answer is the one every later copy gets.
    shared.inner.complete(shared.claim, { status: 200, body: `{"ok":false,"reason":"out_of_stock"}` });
    const late = kit(shared.guard).send();
    await vi.advanceTimersByTimeAsync(0);
    expect(await (await late.value).text()).toBe(`{"ok":false,"reason":"out_of_stock"}`);
  });
});
