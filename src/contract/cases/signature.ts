import type { WebhookCall } from "../client.js";
import type { ContractCase, ContractContext } from "../contract-case.js";
import { expectRejected, fail } from "../expect-reply.js";
import { cartCall, readCart } from "../requests.js";

const WINDOW_FIX = "reject when |now - X-VIZOCHOK-Timestamp| > 300 s";
const EXACT_FIX =
  'compare "sha256=" + the full 64-digit HMAC-SHA256 of "{timestamp}.{raw body}" with the header, whole and in constant time';
const HEADER_FIX = "read X-VIZOCHOK-Timestamp as digits only and refuse a header sent more than once";

/**
 * Each case sends a cart add that must be rejected, then reads the session back through a
 * correctly signed cart GET: a rejected request must also have changed nothing.
 */
function rejectedAdd(
  id: string,
  title: string,
  fix: string,
  forge: (context: ContractContext, session: string) => WebhookCall[],
): ContractCase {
  return {
    id: `signature.${id}`,
    group: "signature",
    title,
    async run(context) {
      const session = context.newSession();
      for (const call of forge(context, session)) {
        const reply = await context.client.send(call);
        expectRejected(reply, fix);
      }
      await expectUnchanged(context, session);
    },
  };
}

async function expectUnchanged(context: ContractContext, session: string): Promise<void> {
  if (context.config.paths.cartGet === null) {
    context.note("not checked that nothing changed: no cart GET webhook");
    return;
  }
  const { items, reply } = await readCart(context, session);
  if (items.length > 0) fail(reply, "a rejected request still changed the cart: verify before acting");
}

const addInStock = (context: ContractContext, session: string, extra: Omit<WebhookCall, "target" | "body"> = {}) =>
  cartCall(context, session, { action: "add", sku: context.config.inStockSku, quantity: 1 }, extra);

/** The correct signature header of the in-stock add for this session at `timestamp`. */
function correctSignature(context: ContractContext, session: string, timestamp: number): string {
  const header = context.client.prepare(addInStock(context, session, { timestamp })).headers["X-VIZOCHOK-Signature"];
  if (typeof header !== "string") throw new TypeError("the client signs every call with one X-VIZOCHOK-Signature");
  return header;
}

/** The in-stock add signed at `timestamp`, with its signature header replaced. */
function withSignature(context: ContractContext, session: string, timestamp: number, signature: string | string[]): WebhookCall {
  return addInStock(context, session, { timestamp, headers: { "X-VIZOCHOK-Signature": signature } });
}

export const signatureCases: ContractCase[] = [
  rejectedAdd(
    "unsigned",
    "requests without X-VIZOCHOK-Signature are rejected on every webhook",
    "verify X-VIZOCHOK-Signature on every webhook before reading the request",
    (context, session) => [
      addInStock(context, session, { unsigned: true }),
      { target: "products", body: { skus: [context.config.inStockSku], store_id: context.config.storeId }, unsigned: true },
      ...(context.config.paths.cartGet === null
        ? []
        : [{ target: "cartGet" as const, query: { store_id: context.config.storeId, session_id: session }, unsigned: true }]),
    ],
  ),
  rejectedAdd(
    "wrong-secret",
    "a signature made with another secret is rejected",
    "compute HMAC-SHA256 with your webhook secret and compare it in constant time",
    // Stryker disable next-line StringLiteral: unique() makes any prefix, even an empty one, another secret
    (context, session) => [addInStock(context, session, { secret: context.unique("whsec_wrong") })],
  ),
  rejectedAdd(
    "tampered-byte",
    "a body changed by one byte after signing is rejected",
    'sign over the raw body bytes exactly as received: "{timestamp}.{raw body}"',
    (context, session) => [
      addInStock(context, session, {
        tamper: (body) => body.replace('"quantity":1', '"quantity":2'),
      }),
    ],
  ),
  rejectedAdd("stale", "a timestamp 301 s in the past is rejected", WINDOW_FIX, (context, session) => [
    addInStock(context, session, { timestamp: context.client.nowSeconds() - 301 }),
  ]),
  rejectedAdd("future", "a timestamp 301 s in the future is rejected", WINDOW_FIX, (context, session) => [
    // Rounded up, so it is still 301 s ahead if the server's second ticks over while in flight.
    addInStock(context, session, { timestamp: Math.ceil(context.client.now() / 1000) + 301 }),
  ]),
  rejectedAdd(
    "malformed-header",
    "malformed signature and timestamp headers are rejected, not crashed on",
    'accept only "sha256=" + 64 hex digits and a unix-seconds timestamp; answer 401 otherwise',
    (context, session) => [
      addInStock(context, session, { headers: { "X-VIZOCHOK-Signature": "sha256=not-a-signature" } }),
      // Stryker disable next-line StringLiteral: an empty timestamp is as far from unix seconds as a word
      addInStock(context, session, { headers: { "X-VIZOCHOK-Timestamp": "yesterday" } }),
    ],
  ),
  rejectedAdd("empty-signature", 'an empty signature ("sha256=") is rejected', EXACT_FIX, (context, session) => [
    withSignature(context, session, context.client.nowSeconds(), "sha256="),
  ]),
  rejectedAdd("truncated-signature", "a truncated prefix of the correct signature is rejected", EXACT_FIX, (context, session) => {
    const now = context.client.nowSeconds();
    const correct = correctSignature(context, session, now);
    // Stryker disable next-line ArithmeticOperator,StringLiteral: any length short of the whole header is a truncated prefix
    return [withSignature(context, session, now, correct.slice(0, "sha256=".length + 32))];
  }),
  rejectedAdd("appended-signature", "the correct signature with characters appended is rejected", EXACT_FIX, (context, session) => {
    const now = context.client.nowSeconds();
    return [withSignature(context, session, now, `${correctSignature(context, session, now)}00`)];
  }),
  rejectedAdd(
    "other-timestamp",
    "a signature made for another timestamp over the same body is rejected",
    'sign over "{X-VIZOCHOK-Timestamp}.{raw body}": the timestamp in the header, not any timestamp in the window',
    (context, session) => {
      const now = context.client.nowSeconds();
      // Stryker disable next-line ArithmeticOperator: a minute ahead is as much another timestamp inside the window
      return [withSignature(context, session, now, correctSignature(context, session, now - 60))];
    },
  ),
  rejectedAdd(
    "body-only-signature",
    "a signature over the body alone (no timestamp) is rejected",
    'sign over "{timestamp}.{raw body}" only; a signature over the body alone would let any old request be replayed',
    (context, session) => [addInStock(context, session, { signOver: (_timestamp, body) => body })],
  ),
  rejectedAdd("timestamp-with-spaces", "a timestamp header with spaces in it is rejected", HEADER_FIX, (context, session) => {
    const now = String(context.client.nowSeconds());
    const signature = correctSignature(context, session, Number(now));
    return [`${now.slice(0, 5)} ${now.slice(5)}`, `${now} ${now}`].map((timestamp) =>
      addInStock(context, session, { timestamp: Number(now), headers: { "X-VIZOCHOK-Signature": signature, "X-VIZOCHOK-Timestamp": timestamp } }),
    );
  }),
  rejectedAdd("timestamp-sent-twice", "a timestamp header sent twice is rejected", HEADER_FIX, (context, session) => {
    const now = context.client.nowSeconds();
    return [addInStock(context, session, { timestamp: now, headers: { "X-VIZOCHOK-Timestamp": [String(now), String(now)] } })];
  }),
  rejectedAdd("signature-sent-twice", "a signature header sent twice is rejected", "accept exactly one X-VIZOCHOK-Signature header", (context, session) => {
    const now = context.client.nowSeconds();
    const correct = correctSignature(context, session, now);
    return [withSignature(context, session, now, [correct, correct])];
  }),
];
