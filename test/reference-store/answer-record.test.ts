// withAnswerRecord: every cart change's answer goes to the guard's fenced write, with the claim
// the kit gave the request; everything else passes through as it was.
import { describe, expect, it } from "vitest";
import type { ReplayClaim, StoredAnswer, WebhookContext, WebhookHandlers } from "vizochok-merchant-kit";
import { withAnswerRecord } from "../../reference-store/answer-record.js";

const claim = { key: "1767225600.ab", token: "t-1" };
const context = (replay: boolean) =>
  ({
    kind: "cart",
    storeId: "store-1",
    sessionId: "s1",
    requestId: "r-1",
    deadline: 0,
    secretIndex: 0,
    signal: new AbortController().signal,
    ...(replay && { replay: { ...claim, stored: (answer: unknown): StoredAnswer => ({ status: 200, body: JSON.stringify(answer) }) } }),
  }) as WebhookContext;
const request = { store_id: "store-1", session_id: "s1", sku: "milk-001", quantity: 1 } as never;

function recorder() {
  const recorded: [ReplayClaim, StoredAnswer][] = [];
  return { recorded, commitAnswer: (c: ReplayClaim, answer: StoredAnswer) => void recorded.push([{ key: c.key, token: c.token }, answer]) };
}

describe("withAnswerRecord()", () => {
  it("records the answer of add, remove, update_quantity and clear with the request's claim", () => {
    const guard = recorder();
    const handlers = withAnswerRecord(
      {
        products: () => ({ products: [] }),
        add: () => ({ ok: true }),
        remove: () => ({ ok: false, reason: "not_in_cart" }),
        updateQuantity: () => ({ ok: true }),
        clear: () => ({ ok: true }),
      },
      guard,
    );
    const answers = [handlers.add, handlers.remove, handlers.updateQuantity, handlers.clear].map((method) => method!(request, context(true)));
    expect(answers).toEqual([{ ok: true }, { ok: false, reason: "not_in_cart" }, { ok: true }, { ok: true }]);
    expect(guard.recorded).toEqual([
      [claim, { status: 200, body: `{"ok":true}` }],
      [claim, { status: 200, body: `{"ok":false,"reason":"not_in_cart"}` }],
      [claim, { status: 200, body: `{"ok":true}` }],
      [claim, { status: 200, body: `{"ok":true}` }],
    ]);
  });

  it("records nothing without a claim (the guard is off) or for a promise (the deadline path)", async () => {
    const guard = recorder();
    const handlers = withAnswerRecord({ products: () => ({ products: [] }), add: () => ({ ok: true }), clear: async () => ({ ok: true }) }, guard);
    expect(handlers.add!(request, context(false))).toEqual({ ok: true });
    await expect(handlers.clear!(request, context(true))).resolves.toEqual({ ok: true });
    expect(guard.recorded).toEqual([]);
  });

  it("leaves out the handlers the merchant has not written, and keeps `this` for those it has", () => {
    class Shop {
      readonly #items = [{ sku: "milk-001", name: "Milk", quantity: 1, unit: "pcs", price: 38.9, total: 38.9 }];
      products() {
        return { products: [] };
      }
      cartGet() {
        return { items: this.#items };
      }
    }
    const shop = new Shop();
    const handlers = withAnswerRecord(shop as unknown as WebhookHandlers, recorder());
    expect([handlers.add, handlers.remove, handlers.updateQuantity, handlers.clear]).toEqual([undefined, undefined, undefined, undefined]);
    expect(handlers.cartGet!({ store_id: "store-1", session_id: "s1" }, context(false))).toEqual(shop.cartGet());
  });
});
