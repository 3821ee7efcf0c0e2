import { CartResponse } from "../../schemas.js";
import { needsCartGet, type ContractCase } from "../contract-case.js";
import { expectCartAnswer, expectShape, fail } from "../expect-reply.js";
import { expectP95WithinBudget, LATENCY_CALLS } from "../latency.js";
import { add, addInStock, cartCall, readCart, unknownSku } from "../requests.js";

const needsLimitedSku = (config: { limitedSku: unknown }) => (config.limitedSku === undefined ? "no limitedSku in the config" : undefined);

/**
 * Signed bodies a careless parser chokes on; each must be answered below 500 (a 5xx is retried).
 * A body mutated into another malformed one (an action, SKU or text emptied, an object left
 * empty) is still malformed and still refused: those mutants are marked equivalent below.
 */
const MALFORMED_BODIES: ReadonlyArray<{ label: string; body: (store: string, session: string) => string }> = [
  {
    label: "not JSON",
    // Stryker disable next-line StringLiteral: equivalent, an empty body is not JSON either
    body: () => "{not json",
  },
  {
    label: "empty body",
    // Stryker disable next-line StringLiteral: equivalent, any other text that is not JSON is as malformed
    body: () => "",
  },
  { label: "JSON null", body: () => "null" },
  { label: "a JSON array", body: () => "[]" },
  {
    label: "no action",
    // Stryker disable next-line ObjectLiteral: equivalent, an empty object has no action either
    body: (store, session) => JSON.stringify({ store_id: store, session_id: session }),
  },
  {
    label: "unknown action",
    // Stryker disable next-line StringLiteral,ObjectLiteral: equivalent, an empty action or object is as unknown
    body: (store, session) => JSON.stringify({ action: "explode", store_id: store, session_id: session }),
  },
  {
    label: "sku is a number",
    // Stryker disable next-line StringLiteral,ObjectLiteral: equivalent, an empty action or object is refused as well
    body: (store, session) => JSON.stringify({ action: "add", sku: 42, store_id: store, session_id: session }),
  },
  {
    label: "quantity is a string",
    // Stryker disable next-line StringLiteral,ObjectLiteral: equivalent, an empty action, SKU or quantity text, or an empty object, is refused as well
    body: (store, session) => JSON.stringify({ action: "update_quantity", sku: "x", quantity: "two", store_id: store, session_id: session }),
  },
  {
    label: "negative quantity",
    // Stryker disable next-line StringLiteral,ObjectLiteral: equivalent, an empty action or SKU, or an empty object, is refused as well (-1 → +1 is not marked: it makes the add well-formed)
    body: (store, session) => JSON.stringify({ action: "add", sku: "x", quantity: -1, store_id: store, session_id: session }),
  },
  {
    label: "no session_id",
    // Stryker disable next-line StringLiteral,ObjectLiteral: equivalent, an empty action or object has no session_id either
    body: (store) => JSON.stringify({ action: "clear", store_id: store }),
  },
];

export const cartCases: ContractCase[] = [
  {
    id: "cart.add-known",
    group: "cart",
    title: 'adding the in-stock SKU answers {"ok": true}',
    async run(context) {
      await addInStock(context, context.newSession(), 1);
    },
  },
  {
    id: "cart.add-unknown",
    group: "cart",
    title: 'adding an unknown SKU answers "product_not_found"',
    async run(context) {
      const reply = await add(context, context.newSession(), unknownSku(context), 1);
      expectCartAnswer(reply, { ok: false, reason: "product_not_found" }, "check the SKU exists in this store before adding it");
    },
  },
  {
    id: "cart.add-missing-sku",
    group: "cart",
    title: 'an add without a sku answers "missing_sku"',
    async run(context) {
      const reply = await context.client.send(cartCall(context, context.newSession(), { action: "add", quantity: 1 }));
      expectCartAnswer(reply, { ok: false, reason: "missing_sku" }, 'answer 200 {"ok":false,"reason":"missing_sku"} when an add has no sku');
    },
  },
  {
    id: "cart.update-absent",
    group: "cart",
    title: 'updating the quantity of an item not in the cart answers "not_in_cart"',
    async run(context) {
      const reply = await context.client.send(
        cartCall(context, context.newSession(), { action: "update_quantity", sku: context.config.inStockSku, quantity: 2 }),
      );
      expectCartAnswer(reply, { ok: false, reason: "not_in_cart" }, "update_quantity must not add an item");
    },
  },
  {
    id: "cart.remove-absent",
    group: "cart",
    title: 'removing an item not in the cart answers "not_in_cart"',
    async run(context) {
      const reply = await context.client.send(cartCall(context, context.newSession(), { action: "remove", sku: context.config.inStockSku }));
      expectCartAnswer(reply, { ok: false, reason: "not_in_cart" }, "the session's cart is empty");
    },
  },
  {
    id: "cart.remove",
    group: "cart",
    title: 'removing an added item answers {"ok": true}; removing it again answers "not_in_cart"',
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      await addInStock(context, session, 1);
      // The second remove is signed a second before the first: the same body with the same
      // timestamp would be a re-delivery of the first, rightly answered ok again.
      const signedAt = context.client.nowSeconds();
      // Stryker disable next-line ObjectLiteral: equivalent, signed now instead it is still a second apart from the second remove
      const firstSigning = { timestamp: signedAt };
      const remove = cartCall(context, session, { action: "remove", sku }, firstSigning);
      expectCartAnswer(await context.client.send(remove), { ok: true }, "the item was just added");
      // Stryker disable next-line ArithmeticOperator: equivalent, a second later is as distinct a signature
      const again = cartCall(context, session, { action: "remove", sku }, { timestamp: signedAt - 1 });
      expectCartAnswer(await context.client.send(again), { ok: false, reason: "not_in_cart" }, "the item was already removed");
    },
  },
  {
    id: "cart.clear",
    group: "cart",
    title: 'clear answers {"ok": true} on a full cart and on an empty one',
    async run(context) {
      const session = context.newSession();
      await addInStock(context, session, 1);
      expectCartAnswer(await context.client.send(cartCall(context, session, { action: "clear" })), { ok: true }, "clear empties the cart");
      const empty = context.newSession();
      expectCartAnswer(await context.client.send(cartCall(context, empty, { action: "clear" })), { ok: true }, "clearing an empty cart is not an error");
    },
  },
  {
    id: "cart.quantity-exceeded",
    group: "cart",
    title: 'adding more than the limited SKU\'s stock answers "quantity_exceeded"; adding all of it succeeds',
    skipReason: needsLimitedSku,
    async run(context) {
      const { sku, available } = context.config.limitedSku!;
      const over = await add(context, context.newSession(), sku, available + 1);
      expectCartAnswer(over, { ok: false, reason: "quantity_exceeded" }, `only ${available} can be added (limitedSku.available)`);
      // A new session then takes exactly what is available. What a further add answers depends on
      // whether the backend reserves stock for carts, so the contract leaves it open.
      expectCartAnswer(await add(context, context.newSession(), sku, available), { ok: true }, `${available} is exactly what is available`);
    },
  },
  {
    id: "cart.out-of-stock",
    group: "cart",
    title: 'adding the out-of-stock SKU answers "out_of_stock"',
    skipReason: (config) => (config.outOfStockSku === undefined ? "no outOfStockSku in the config" : undefined),
    async run(context) {
      const reply = await add(context, context.newSession(), context.config.outOfStockSku!, 1);
      expectCartAnswer(reply, { ok: false, reason: "out_of_stock" }, "nothing of outOfStockSku is left");
    },
  },
  {
    id: "cart.malformed-bodies",
    group: "cart",
    title: "signed but malformed bodies are never answered with a 5xx",
    async run(context) {
      const session = context.newSession();
      const crashed: string[] = [];
      let first;
      for (const { label, body } of MALFORMED_BODIES) {
        const reply = await context.client.send({ target: "cart", body: body(context.config.storeId, session) });
        if (reply.status >= 500) {
          crashed.push(`${label} → ${reply.status}`);
          first ??= reply;
        }
      }
      if (crashed.length > 0) {
        fail(first, `${crashed.join(", ")}: answer 200 {"ok":false,"reason":"missing_params"} (or a 4xx); a 5xx makes VIZOCHOK retry`);
      }
    },
  },
  {
    id: "cart.extra-field",
    group: "cart",
    title: "an add carrying a field the backend does not know is answered normally (VIZOCHOK may add fields)",
    async run(context) {
      const session = context.newSession();
      const sku = context.config.inStockSku;
      // Stryker disable next-line ObjectLiteral,StringLiteral: equivalent, an empty object or text is as unknown a field's value
      const unknownField = { any: "value" };
      const reply = await context.client.send(cartCall(context, session, { action: "add", sku, quantity: 1, vizochok_added_later: unknownField }));
      expectCartAnswer(reply, { ok: true }, "ignore fields you do not know instead of refusing the request");
      if (context.config.paths.cartGet === null) return;
      const { items, reply: cart } = await readCart(context, session);
      if (items.find((item) => item.sku === sku)?.quantity !== 1) fail(cart, `the add was answered ok but the cart does not hold 1 × ${sku}`);
    },
  },
  {
    id: "cart.stock-across-shoppers",
    group: "cart",
    title: "parallel adds from distinct shoppers never acknowledge more of the limited SKU than is available, and clearing gives it back",
    skipReason: (config) => needsLimitedSku(config) ?? needsCartGet(config),
    async run(context) {
      const { sku, available } = context.config.limitedSku!;
      const shoppers = Array.from({ length: 2 * Math.ceil(available) + 2 }, () => context.newSession());
      const replies = await Promise.all(shoppers.map((session) => add(context, session, sku, 1)));
      const acknowledged: string[] = [];
      replies.forEach((reply, index) => {
        const answer = expectShape(reply, CartResponse, "a cart webhook");
        if (answer.ok) acknowledged.push(shoppers[index]!);
        else if (answer.reason !== "quantity_exceeded" && answer.reason !== "out_of_stock") {
          fail(reply, `a refused add of the limited SKU must say "quantity_exceeded" or "out_of_stock", not "${answer.reason}"`);
        }
      });
      context.note(`${acknowledged.length} of ${shoppers.length} shoppers got 1 × ${sku} (${available} available)`);
      if (acknowledged.length > available) {
        fail(
          undefined,
          `${acknowledged.length} shoppers were each told 1 × ${sku} was added, but only ${available} are available (limitedSku.available): ` +
            "check and reserve stock in one transaction, across every cart",
        );
      }
      for (const session of acknowledged) {
        const { items, reply } = await readCart(context, session);
        if (items.find((item) => item.sku === sku)?.quantity !== 1) fail(reply, `this shopper was told 1 × ${sku} was added, but the cart does not hold it`);
      }
      for (const session of acknowledged) {
        expectCartAnswer(await context.client.send(cartCall(context, session, { action: "clear" })), { ok: true }, "clear empties the cart");
      }
      const again = await add(context, context.newSession(), sku, available);
      expectCartAnswer(again, { ok: true }, `every cart holding ${sku} was cleared, so all ${available} must be available again: release reserved stock on clear`);
    },
  },
  {
    id: "cart.latency-p95",
    group: "cart",
    title: `the p95 latency of ${LATENCY_CALLS} adds is well inside VIZOCHOK's 5 s budget`,
    async run(context) {
      const session = context.newSession();
      const now = context.client.nowSeconds();
      await expectP95WithinBudget(
        context,
        "cart",
        // Each add signed a second apart, so none is taken for a re-delivery of another.
        // Stryker disable next-line ArithmeticOperator: a second later instead of earlier is as distinct, and 19 s ahead is inside the 300 s window
        (index) => context.client.send(cartCall(context, session, { action: "add", sku: context.config.inStockSku, quantity: 1 }, { timestamp: now - index })),
        (reply) => expectCartAnswer(reply, { ok: true }, `inStockSku needs at least ${LATENCY_CALLS} in stock`),
      );
    },
  },
];
