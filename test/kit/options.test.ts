import { describe, expect, it, vi } from "vitest";
import {
  createMemoryReplayGuard,
  createNodeWebhookHandler,
  createWebWebhookHandler,
  createWebhookRouter,
  verifyWebhookSignature,
  type WebhookKitOptions,
} from "vizochok-merchant-kit";
import { parseContractConfig, runContract } from "vizochok-merchant-kit/contract";
import { NOW, SECRET, cartBody, createCapturingLogger, createRecordingMerchant, productsBody, signedGet, signedPost, silent } from "./merchant.js";

const OPTION_LIST = "secret, handlers, paths, bodyLimit, toleranceSeconds, budgetMs, getSigning, replayGuard, identicalRequests, logger, now, generateRequestId";
const SECRET_HINT = "it usually comes from process.env.VIZOCHOK_WEBHOOK_SECRET, which may be unset";
const base = (): WebhookKitOptions => ({ secret: SECRET, handlers: createRecordingMerchant().handlers, logger: silent, now: () => NOW });
const post = (path: string, body: string, secret = SECRET) => new Request(`http://shop.test${path}`, { method: "POST", body, headers: signedPost(body, { secret }) });

// Each option the kit cannot use, and the message setup throws for it.
const REFUSED: [string, Record<string, unknown>, string][] = [
  ["secret left out", { secret: undefined }, `secret must be a non-empty string or a list of them, got undefined; ${SECRET_HINT}`],
  ["secret null", { secret: null }, `secret must be a non-empty string or a list of them, got null; ${SECRET_HINT}`],
  ["secret a number (its value not shown)", { secret: 20_261_201 }, `secret must be a non-empty string or a list of them, got a number; ${SECRET_HINT}`],
  ["secret empty", { secret: "" }, `secret must be a non-empty string or a list of them, got an empty string; ${SECRET_HINT}`],
  ["secret an empty list", { secret: [] }, `secret must be a non-empty string or a list of them, got an array of 0; ${SECRET_HINT}`],
  ["secret list with an empty entry", { secret: ["whsec_new", ""] }, "secret[1] must be a non-empty string, got an empty string (it usually comes from process.env.VIZOCHOK_WEBHOOK_SECRET)"],
  ["secret list with a number (its value not shown)", { secret: ["whsec_new", 20_261_201] }, "secret[1] must be a non-empty string, got a number (it usually comes from process.env.VIZOCHOK_WEBHOOK_SECRET)"],
  ["toleranceSeconds NaN (Number(undefined))", { toleranceSeconds: Number(undefined) }, "toleranceSeconds must be a finite number > 0, got the number NaN"],
  ["toleranceSeconds Infinity", { toleranceSeconds: Number.POSITIVE_INFINITY }, "toleranceSeconds must be a finite number > 0, got the number Infinity"],
  ["toleranceSeconds 0", { toleranceSeconds: 0 }, "toleranceSeconds must be a finite number > 0, got the number 0"],
  ["toleranceSeconds a string", { toleranceSeconds: "300" }, "toleranceSeconds must be a finite number > 0, got a string"],
  ["bodyLimit -1", { bodyLimit: -1 }, "bodyLimit must be a finite number > 0, got the number -1"],
  ["bodyLimit NaN", { bodyLimit: Number.NaN }, "bodyLimit must be a finite number > 0, got the number NaN"],
  ["budgetMs 0", { budgetMs: 0 }, "budgetMs must be a finite number > 0, got the number 0"],
  ["budgetMs past the timer limit", { budgetMs: 3e9 }, "budgetMs must be at most 2147483647 (the largest timer delay), got the number 3000000000"],
  ["cart on the products path", { paths: { cart: "/check-products" } }, 'paths.products and paths.cart are both "/check-products"; both webhooks are POSTs, so each needs a path of its own'],
  ["cart on the products path with a trailing slash", { paths: { products: "/hooks/", cart: "/hooks" } }, 'paths.products and paths.cart are both "/hooks"; both webhooks are POSTs, so each needs a path of its own'],
  ["a path without its leading /", { paths: { products: "check-products" } }, 'paths.products must be a pathname starting with /, got "check-products"'],
  ["products on / and cart on //, the same path once the trailing slash is dropped", { paths: { products: "/", cart: "//" } }, 'paths.products and paths.cart are both "//"; both webhooks are POSTs, so each needs a path of its own'],
  ["paths null", { paths: null }, 'paths must be an object such as { products: "/check-products" }, got null'],
  ["paths one string", { paths: "/hooks" }, 'paths must be an object such as { products: "/check-products" }, got a string'],
  ["a path with a query", { paths: { cartGet: "/cart/items?x=1" } }, 'paths.cartGet must be a pathname without query, fragment or whitespace, got "/cart/items?x=1"'],
  ["a path that is not a string", { paths: { cart: 5 } }, "paths.cart must be a pathname starting with /, got the number 5"],
  ["a misspelled path name", { paths: { cartget: "/items" } }, "paths.cartget is not a webhook; the paths are products, cart, cartGet"],
  ["a misspelt option (case)", { bodylimit: 1024 }, "options.bodylimit is not an option; did you mean bodyLimit?"],
  ["a misspelt option (plural)", { secrets: ["whsec_a"] }, "options.secrets is not an option; did you mean secret?"],
  ["a misspelt option (two letters)", { budgetMS: 100, tolerance: 60 }, "options.budgetMS is not an option; did you mean budgetMs?"],
  ["a misspelt option (two letters short)", { budget: 100 }, "options.budget is not an option; did you mean budgetMs?"],
  ["an option three letters from the nearest (logging)", { logging: true }, `options.logging is not an option; the options are ${OPTION_LIST}`],
  ["an option of another function", { maxBodyBytes: 1024 }, `options.maxBodyBytes is not an option; the options are ${OPTION_LIST}`],
  ["a replay option of the memory guard", { ttlMs: 1000 }, `options.ttlMs is not an option; the options are ${OPTION_LIST}`],
  ["handlers left out", { handlers: undefined }, "handlers must be an object with at least products(request, context), got undefined"],
  ["handlers null", { handlers: null }, "handlers must be an object with at least products(request, context), got null"],
  ["one function as handlers", { handlers: () => ({ products: [] }) }, "handlers must be an object with at least products(request, context), got a function"],
  ["no products handler", { handlers: { add: () => ({ ok: true }) } }, "handlers.products is required: a function, got undefined"],
  ["a handler that is not a function", { handlers: { products: () => ({ products: [] }), add: "yes" } }, "handlers.add must be a function, got a string"],
  ["a logger without warn", { logger: { info() {}, error() {} } }, "logger must have info, warn and error methods (pino's API); warn missing in an object"],
  ["a logger that is null", { logger: null }, "logger must have info, warn and error methods (pino's API); info, warn, error missing in null"],
  ["a replay guard that is null", { replayGuard: null }, "replayGuard must be a ReplayGuard (begin, complete, release) or false; begin, complete, release missing in null"],
  ["a replay guard without release", { replayGuard: { begin() {}, complete() {} } }, "replayGuard must be a ReplayGuard (begin, complete, release) or false; release missing in an object"],
  ["identicalRequests unknown", { identicalRequests: "twice" }, 'identicalRequests must be "apply" or "refuse", got a string'],
  ["getSigning unknown", { getSigning: "path" }, 'getSigning must be "empty-body" or "path-and-query", got a string'],
  ["now not a function", { now: NOW }, `now must be a function, got the number ${NOW}`],
  ["generateRequestId not a function", { generateRequestId: "id" }, "generateRequestId must be a function, got a string"],
];

const FACTORIES: [string, (options: WebhookKitOptions) => unknown][] = [
  ["createWebWebhookHandler()", createWebWebhookHandler],
  ["createNodeWebhookHandler()", createNodeWebhookHandler],
  ["createWebhookRouter()", createWebhookRouter],
];

describe.each(FACTORIES)("%s options, checked once at setup", (_name, create) => {
  it.each(REFUSED)("throws a TypeError naming the option: %s", (_case, bad, message) => {
    expect(() => create({ ...base(), ...bad } as WebhookKitOptions)).toThrow(new TypeError(`vizochok-merchant-kit: ${message}`));
  });

  it("throws a TypeError when called without options, or with null", () => {
    expect(() => create(undefined as never)).toThrow(new TypeError("vizochok-merchant-kit: options must be an object: { secret, handlers }, got undefined"));
    expect(() => create(null as never)).toThrow(new TypeError("vizochok-merchant-kit: options must be an object: { secret, handlers }, got null"));
  });
});

describe("createWebWebhookHandler() options in use", () => {
  it("200 for products and cart, and for cart GET on the cart path: a GET may share a POST webhook's path", async () => {
    const handle = createWebWebhookHandler({ ...base(), paths: { cart: "/cart", cartGet: "/cart" } });
    const add = await handle(post("/cart", cartBody({ action: "add", sku: "milk-001" })));
    expect([add.status, await add.json()]).toEqual([200, { ok: true }]);
    const get = await handle(new Request("http://shop.test/cart?store_id=store-1&session_id=session-1", { headers: signedGet() }));
    expect([get.status, await get.json()]).toEqual([200, { items: [{ sku: "milk-001", name: "milk-001", price: 42.5, quantity: 1 }] }]);
  });

  it("should not change when options altered after setup", async () => {
    const secrets = [SECRET];
    const paths = { products: "/hooks/check-products" };
    const options = { ...base(), secret: secrets, paths, toleranceSeconds: 300 };
    const handle = createWebWebhookHandler(options);
    secrets[0] = "whsec_changed";
    paths.products = "/elsewhere";
    options.toleranceSeconds = Number.NaN;
    const answer = await handle(post("/hooks/check-products", productsBody(["milk-001"])));
    expect([answer.status, await answer.json()]).toEqual([200, { products: [{ sku: "milk-001", price: 42.5, in_stock: true }] }]);
    const moved = await handle(post("/elsewhere", productsBody(["milk-001"])));
    expect(moved.status).toBe(404);
  });

  it("logs one warning at setup for a secret with whitespace at either end; the 401 stays terse", async () => {
    const logger = createCapturingLogger();
    const handle = createWebWebhookHandler({ ...base(), secret: ["whsec_current", `${SECRET}\n`], logger });
    expect(logger.lines).toEqual([
      {
        level: "warn",
        fields: { option: "secret", indexes: [1] },
        message:
          "the webhook secret starts or ends with whitespace; VIZOCHOK signs with the secret exactly as issued, so check how it is loaded (a trailing newline in an env or secrets file is the usual cause)",
      },
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain(SECRET);
    const answer = await handle(post("/check-products", productsBody(), SECRET));
    expect([answer.status, await answer.json()]).toEqual([401, { error: "signature_mismatch", message: "signature does not match the request body" }]);
    expect(logger.lines.filter((line) => line.fields.option === "secret")).toHaveLength(1);
  });

  it("without a logger, the setup warning is one JSON line on stderr (console.warn)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      createWebWebhookHandler({ secret: ` ${SECRET}`, handlers: createRecordingMerchant().handlers, now: () => NOW });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toMatchObject({ level: "warn", option: "secret", indexes: [0] });
    } finally {
      warn.mockRestore();
    }
  });

  it("the default replay guard runs on the kit's clock: a copy 2 s later gets the first answer, as with a guard given; with replayGuard: false it runs again", async () => {
    let clock = NOW;
    for (const [replayGuard, runs] of [[undefined, 1], [false, 2], [createMemoryReplayGuard({ now: () => clock }), 1]] as const) {
      const merchant = createRecordingMerchant();
      clock = NOW;
      const handle = createWebWebhookHandler({ ...base(), handlers: merchant.handlers, now: () => clock, ...(replayGuard === undefined ? {} : { replayGuard }) });
      const body = cartBody({ action: "add", sku: "milk-001" });
      const first = await handle(post("/cart", body));
      clock += 2_000;
      const copy = await handle(post("/cart", body));
      expect([first.status, await first.json(), copy.status, await copy.json()]).toEqual([200, { ok: true }, 200, { ok: true }]);
      expect(merchant.calls.filter((call) => call.method === "add")).toHaveLength(runs);
    }
  });

  it("takes handlers with products alone: products answered, a cart POST 404", async () => {
    const handle = createWebWebhookHandler({ ...base(), handlers: { products: createRecordingMerchant().handlers.products } });
    const products = await handle(post("/check-products", productsBody(["milk-001"])));
    expect([products.status, await products.json()]).toEqual([200, { products: [{ sku: "milk-001", price: 42.5, in_stock: true }] }]);
    expect((await handle(post("/cart", cartBody({ action: "add", sku: "milk-001" })))).status).toBe(404);
  });

  it("takes a budget of exactly the largest timer delay", async () => {
    const handle = createWebWebhookHandler({ ...base(), budgetMs: 2_147_483_647 });
    const answer = await handle(post("/check-products", productsBody(["milk-001"])));
    expect([answer.status, await answer.json()]).toEqual([200, { products: [{ sku: "milk-001", price: 42.5, in_stock: true }] }]);
  });

  it("logs nothing at setup for a clean secret", () => {
    const logger = createCapturingLogger();
    createWebWebhookHandler({ ...base(), logger });
    expect(logger.lines).toEqual([]);
  });
});

describe("verifyWebhookSignature() options", () => {
  const body = productsBody();
  const headers = signedPost(body);

  it("names the router's option, secret, when that is the one missing", () => {
    expect(verifyWebhookSignature({ secret: process.env.VIZOCHOK_WEBHOOK_SECRET_NEVER_SET!, headers, rawBody: body, now: NOW })).toEqual({
      ok: false,
      code: "invalid_options",
      message: `secret must be a non-empty string or a list of them, got undefined; ${SECRET_HINT}`,
    });
  });

  it("takes the router's clock, a function, as now", () => {
    expect(verifyWebhookSignature({ secret: SECRET, headers, rawBody: body, now: () => NOW })).toMatchObject({ ok: true, secretIndex: 0 });
    expect(verifyWebhookSignature({ secret: SECRET, headers, rawBody: body, now: () => NOW + 301_000 })).toMatchObject({ ok: false, code: "timestamp_too_old" });
  });

  it("answers a clock that throws as invalid_options instead of throwing", () => {
    const now = () => {
      throw new Error("clock unavailable");
    };
    expect(verifyWebhookSignature({ secret: SECRET, headers, rawBody: body, now })).toEqual({ ok: false, code: "invalid_options", message: "now() threw: clock unavailable" });
  });

  it("answers Infinity as a window as invalid_options, as the router refuses it", () => {
    expect(verifyWebhookSignature({ secret: SECRET, headers, rawBody: body, now: NOW, toleranceSeconds: Number.POSITIVE_INFINITY })).toEqual({
      ok: false,
      code: "invalid_options",
      message: "toleranceSeconds must be a finite number > 0, got the number Infinity",
    });
  });
});

describe("createMemoryReplayGuard() options", () => {
  it("throws a TypeError naming maxEntries or abandonAfterMs when not a finite number > 0", () => {
    expect(() => createMemoryReplayGuard({ maxEntries: 0 })).toThrow(new TypeError("createMemoryReplayGuard: maxEntries must be a finite number > 0, got the number 0"));
    expect(() => createMemoryReplayGuard({ abandonAfterMs: Number.NaN })).toThrow(
      new TypeError("createMemoryReplayGuard: abandonAfterMs must be a finite number > 0, got the number NaN"),
    );
  });
});

describe("runContract() options", () => {
  it("rejects with a TypeError naming secret before sending anything", async () => {
    const parsed = parseContractConfig({ inStockSku: "milk-001" });
    if (!parsed.ok) throw new Error(parsed.message);
    await expect(runContract({ baseUrl: "http://127.0.0.1:9", secret: null as never, config: parsed.config })).rejects.toThrow(
      new TypeError(`runContract: secret must be a non-empty string, got null; ${SECRET_HINT}`),
    );
    await expect(runContract({ baseUrl: "http://127.0.0.1:9", secret: "", config: parsed.config })).rejects.toThrow(
      new TypeError(`runContract: secret must be a non-empty string, got an empty string; ${SECRET_HINT}`),
    );
  });
});
