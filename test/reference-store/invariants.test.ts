import fc from "fast-check";
import type { CartRequest } from "vizochok-merchant-kit";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { createStore } from "../../reference-store/store.js";
import { SMALL_CATALOG, createClock, reservationMismatches } from "./helpers.js";

// Few SKUs and sessions, mostly valid quantities: enough collisions that updates and removes
// usually find their line, plus every kind of rejection now and then.
const sku = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("milk", "cheese", "chips", "last-one") },
  { weight: 1, arbitrary: fc.constantFrom("sold-out", "retired", "nope") },
);
const session = fc.constantFrom("alice", "bob");
const quantity = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(1, 2, 3, 0.2, 0.5, 1.2) },
  { weight: 1, arbitrary: fc.constantFrom(0.1, 0.25, 4, 11, 2.5) },
);
const target = { store_id: fc.constant("store-1"), session_id: session };
const operation: fc.Arbitrary<{ request: CartRequest; waitMs: number }> = fc.record({
  request: fc.oneof(
    { weight: 4, arbitrary: fc.record({ action: fc.constant("add" as const), ...target, sku, quantity }) },
    { weight: 2, arbitrary: fc.record({ action: fc.constant("remove" as const), ...target, sku }) },
    { weight: 4, arbitrary: fc.record({ action: fc.constant("update_quantity" as const), ...target, sku, quantity }) },
    { weight: 1, arbitrary: fc.record({ action: fc.constant("clear" as const), ...target }) },
  ),
  waitMs: fc.constantFrom(0, 0, 0, 0, 0, 0, 20_000, 61_000),
});

describe("any sequence of cart changes", () => {
  it("keeps reserved stock equal to what carts hold, within 0..on hand, and every line within the rules", () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 5, maxLength: 60 }), (operations) => {
        const db = openDatabase(":memory:");
        try {
          seedCatalog(db, SMALL_CATALOG);
          const clock = createClock();
          const store = createStore({ db, now: clock.now, cartTtlMs: 60_000 });
          for (const { request, waitMs } of operations) {
            clock.advance(waitMs);
            if (request.action === "add") store.add(request);
            else if (request.action === "remove") store.remove(request);
            else if (request.action === "update_quantity") store.updateQuantity(request);
            else store.clear(request);
            expect(reservationMismatches(db)).toEqual([]);
          }
          const badLines = db
            .prepare(
              `SELECT l.sku, l.quantity_milli FROM cart_lines l JOIN products p USING (sku)
               WHERE l.quantity_milli % p.quantity_step_milli != 0 OR l.quantity_milli < p.min_quantity_milli
                  OR l.quantity_milli > COALESCE(p.max_per_customer_milli, l.quantity_milli)`,
            )
            .all();
          expect(badLines).toEqual([]);
        } finally {
          db.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
