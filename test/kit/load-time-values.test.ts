// What the core's modules make once, when they load: the default paths and the answers routing
// hands back, the JSON headers, the Content-Type pattern, the answer check's fast paths,
// node:crypto and its key caches, the hex digit table, the drain bounds. Each test loads the modules afresh
// (vi.resetModules, then import) and checks what a caller of that load sees. The mutation run
// (test/mutation) switches a mutant on before a test's body runs, so a value made at load is
// checked with the mutant in place only by a load inside the test.
import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod/mini";

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

async function load<T>(importer: () => Promise<T>): Promise<T> {
  vi.resetModules();
  return importer();
}

const loadRouting = () => load(() => import("../../src/core/routing.js"));
const loadCrypto = () => load(() => import("../../src/crypto.js"));

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
const json = { "content-type": "application/json" };

describe("routing, as loaded", () => {
  it("the default paths: products and cart POSTs with their bodies, the cart GET without; any other path unmatched", async () => {
    const { createRouter, DEFAULT_PATHS } = await loadRouting();
    const match = createRouter(DEFAULT_PATHS, 100);
    expect(match("POST", "/check-products", json)).toEqual({ type: "matched", kind: "products", readBody: true });
    expect(match("POST", "/cart", json)).toEqual({ type: "matched", kind: "cart", readBody: true });
    expect(match("GET", "/cart/items", {})).toEqual({ type: "matched", kind: "cart_get", readBody: false });
    expect(match("POST", "/products", json)).toEqual({ type: "unmatched" });
    expect(match("GET", "/", {})).toEqual({ type: "unmatched" });
  });

  it("application/json in any case, with parameters after optional spaces; any other type is the whole 415", async () => {
    const { createRouter, DEFAULT_PATHS } = await loadRouting();
    const match = createRouter(DEFAULT_PATHS, 100);
    for (const type of ["application/json", "Application/JSON", "application/json;charset=utf-8", "application/json ; charset=utf-8", "application/json\t;x=1"]) {
      expect(match("POST", "/cart", { "content-type": type }), type).toEqual({ type: "matched", kind: "cart", readBody: true });
    }
    for (const type of ["application/jsonp", "application/json-seq", "application/json x", "text/x-application/json", "application/jso", "text/plain"]) {
      expect(match("POST", "/cart", { "content-type": type }), type).toEqual({
        type: "rejected",
        response: {
          status: 415,
          headers: JSON_HEADERS,
          body: JSON.stringify({ error: "unsupported_media_type", message: "Content-Type must be application/json" }),
          error: "unsupported_media_type",
        },
      });
    }
  });

  it("a declared length over the limit is the whole 413, which closes the connection", async () => {
    const { createRouter, DEFAULT_PATHS } = await loadRouting();
    const match = createRouter(DEFAULT_PATHS, 100);
    expect(match("POST", "/check-products", { ...json, "content-length": "101" })).toEqual({
      type: "rejected",
      response: {
        status: 413,
        headers: { ...JSON_HEADERS, connection: "close" },
        body: JSON.stringify({ error: "payload_too_large", message: "body is larger than 100 bytes" }),
        error: "payload_too_large",
      },
    });
  });
});

describe("the answer check, as loaded", () => {
  it("an answer already in its schema's output shape is sent as it is, without a zod parse", async () => {
    const { serializeAnswer } = await load(() => import("../../src/core/answer-check.js"));
    const { CartGetResponse, CartResponse, ProductsResponse } = await import("../../src/schemas.js");
    const answers: Array<[z.ZodMiniType, unknown]> = [
      [ProductsResponse, { products: [{ sku: "milk-001", price: 52.5, in_stock: true }] }],
      [CartResponse, { ok: false, reason: "out_of_stock" }],
      [CartGetResponse, { items: [] }],
    ];
    for (const [schema, answer] of answers) {
      const parse = vi.spyOn(schema, "safeParse");
      expect(serializeAnswer(schema, answer)).toEqual({ ok: true, text: JSON.stringify(answer) });
      expect(parse).not.toHaveBeenCalled();
    }
  });

  it("any other answer is zod's output: a key the schema lacks is dropped; a schema with no fast check is parsed", async () => {
    const { serializeAnswer } = await load(() => import("../../src/core/answer-check.js"));
    const { ProductsResponse } = await import("../../src/schemas.js");
    const parse = vi.spyOn(ProductsResponse, "safeParse");
    expect(serializeAnswer(ProductsResponse, { products: [], note: "x" })).toEqual({ ok: true, text: '{"products":[]}' });
    expect(parse).toHaveBeenCalledTimes(1);
    const Count = z.object({ count: z.number() });
    expect(serializeAnswer(Count, { count: 2, extra: true })).toEqual({ ok: true, text: '{"count":2}' });
    expect(serializeAnswer(Count, { count: "2" })).toMatchObject({ ok: false, error: { issues: [{ path: ["count"] }] } });
  });
});

describe("the option rules, as loaded", () => {
  it("a missing secret's message says where it usually comes from", async () => {
    const { secretsRule } = await load(() => import("../../src/core/option-rules.js"));
    expect(secretsRule(undefined, "secret")).toEqual({
      ok: false,
      message: "secret must be a non-empty string or a list of them, got undefined; it usually comes from process.env.VIZOCHOK_WEBHOOK_SECRET, which may be unset",
    });
  });
});

describe("the shape checks, loaded on a runtime without String.prototype.isWellFormed", () => {
  it("a SKU or store with a lone surrogate is left to zod; one with a surrogate pair is taken as it is", async () => {
    const descriptor = Object.getOwnPropertyDescriptor(String.prototype, "isWellFormed")!;
    delete (String.prototype as { isWellFormed?: unknown }).isWellFormed;
    try {
      const { isCanonicalCartGetResponse, isCanonicalProductsRequest, isCanonicalProductsResponse } = await load(() => import("../../src/core/canonical-shapes.js"));
      const offer = (sku: string) => ({ products: [{ sku, price: 1, in_stock: true }] });
      expect([isCanonicalProductsResponse(offer("milk-🥛")), isCanonicalProductsResponse(offer("milk-\ud800")), isCanonicalProductsResponse(offer("\udc00"))]).toEqual([true, false, false]);
      const request = (store: string) => ({ skus: ["milk-001"], store_id: store });
      expect([isCanonicalProductsRequest(request("store-🥛")), isCanonicalProductsRequest(request("store-\ud800"))]).toEqual([true, false]);
      const items = (sku: string) => ({ items: [{ sku, name: "Milk", price: 1, quantity: 0.5 }] });
      expect([isCanonicalCartGetResponse(items("milk-🥛")), isCanonicalCartGetResponse(items("milk-\ud800"))]).toEqual([true, false]);
    } finally {
      Object.defineProperty(String.prototype, "isWellFormed", descriptor);
    }
  });
});

describe("loadNodeCrypto()", () => {
  const real = process.getBuiltinModule("node:crypto");

  it("is node:crypto from the runtime's getBuiltinModule", async () => {
    const { loadNodeCrypto, nodeCrypto } = await loadCrypto();
    expect(nodeCrypto).toBe(real);
    expect(loadNodeCrypto({ getBuiltinModule: (id) => (id === "node:crypto" ? real : undefined) })).toBe(real);
  });

  it("is undefined without a process or getBuiltinModule, when it throws, or for a module without createHmac or timingSafeEqual", async () => {
    const { loadNodeCrypto } = await loadCrypto();
    expect(loadNodeCrypto(undefined)).toBeUndefined();
    expect(loadNodeCrypto({})).toBeUndefined();
    expect(loadNodeCrypto({ getBuiltinModule: () => undefined })).toBeUndefined();
    expect(
      loadNodeCrypto({
        getBuiltinModule: () => {
          throw new Error("node:crypto is not available");
        },
      }),
    ).toBeUndefined();
    expect(loadNodeCrypto({ getBuiltinModule: () => ({ createHmac: real.createHmac }) })).toBeUndefined();
    expect(loadNodeCrypto({ getBuiltinModule: () => ({ timingSafeEqual: real.timingSafeEqual }) })).toBeUndefined();
  });
});

describe("the HMAC key caches, as loaded", () => {
  const secrets = Array.from({ length: 17 }, (_, index) => `whsec_${index}`);
  const digest = (secret: string) => createHmac("sha256", secret).update("1767225600.").update("body").digest();

  it("node:crypto without a working hash() (before Node 20.12): createHmac's key for each secret is made once; past 16 secrets a new one on every call", async () => {
    const { hmacSync, nodeCrypto } = await loadCrypto();
    vi.spyOn(nodeCrypto!, "hash").mockImplementation(() => {
      throw new TypeError("hash is not a function");
    });
    const make = vi.spyOn(nodeCrypto!, "createSecretKey");
    for (const secret of secrets) {
      for (let call = 0; call < 2; call++) expect(Buffer.from(hmacSync(secret, "1767225600.", "body")!)).toEqual(digest(secret));
    }
    expect(make.mock.calls.map(([secret]) => secret)).toEqual([...secrets, "whsec_16"]);
  });

  it("node:crypto's one-shot hash(): a first message far longer than the buffer it starts with (100 KB of bytes, then 40,000 characters of text) is signed as createHmac signs it", async () => {
    const { hmacSync } = await loadCrypto();
    const bytes = new Uint8Array(100_000).map((_, index) => index % 251);
    const text = "é€".repeat(20_000);
    for (const payload of [bytes, text]) {
      expect(Buffer.from(hmacSync("whsec_long", "1767225600.", payload)!)).toEqual(createHmac("sha256", "whsec_long").update("1767225600.").update(payload).digest());
    }
  });

  it("a node:crypto without hash() or createSecretKey signs with createHmac and the secret itself", async () => {
    const original = process.getBuiltinModule;
    const { createSecretKey: _key, hash: _hash, ...withoutKeys } = original("node:crypto");
    vi.resetModules();
    process.getBuiltinModule = ((id: string) => (id === "node:crypto" ? withoutKeys : original(id))) as typeof original;
    let loaded: typeof import("../../src/crypto.js");
    try {
      loaded = await import("../../src/crypto.js");
    } finally {
      process.getBuiltinModule = original;
    }
    expect(loaded.nodeCrypto).toBe(withoutKeys);
    expect(Buffer.from(loaded.hmacSync("whsec_0", "1767225600.", "body")!)).toEqual(digest("whsec_0"));
  });

  it("Web Crypto: each secret's key is imported once, not extractable; past 16 secrets one is imported on every call", async () => {
    const { hmacWeb, verifyWeb } = await loadCrypto();
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    for (const secret of secrets) {
      for (let call = 0; call < 2; call++) expect(Buffer.from(await hmacWeb(secret, "1767225600.", "body"))).toEqual(digest(secret));
    }
    expect(await verifyWeb("whsec_16", "1767225600.", "body", digest("whsec_16"))).toBe(true);
    const imported = importKey.mock.calls.map(([, raw]) => new TextDecoder().decode(raw as Uint8Array));
    expect(imported).toEqual([...secrets, "whsec_16", "whsec_16"]);
    for (const result of importKey.mock.results) expect(((await result.value) as CryptoKey).extractable).toBe(false);
  });
});

describe("decodeHex(), as loaded", () => {
  it("reads 0-9, a-f and A-F in either place of a byte, reports an upper-case digit, and refuses every other character", async () => {
    const { decodeHex } = await loadCrypto();
    const into = new Uint8Array(1);
    for (let code = 0; code < 0x180; code++) {
      const char = String.fromCharCode(code);
      const hex = /^[0-9a-fA-F]$/.test(char);
      const upperCase = /^[A-F]$/.test(char);
      const value = hex ? Number.parseInt(char, 16) : 0;
      expect(decodeHex(`${char}0`, 0, into), `${code} high`).toBe(hex ? upperCase : undefined);
      if (hex) expect(into[0], `${code} high`).toBe(value * 16);
      expect(decodeHex(`0${char}`, 0, into), `${code} low`).toBe(hex ? upperCase : undefined);
      if (hex) expect(into[0], `${code} low`).toBe(value);
    }
  });

  it("decodes 2 × length digits from the start given", async () => {
    const { decodeHex } = await loadCrypto();
    const into = new Uint8Array(3);
    expect(decodeHex("sha00ff7a", 3, into)).toBe(false);
    expect([...into]).toEqual([0x00, 0xff, 0x7a]);
    expect(decodeHex("sha00Ff7a", 3, into)).toBe(true);
    expect([...into]).toEqual([0x00, 0xff, 0x7a]);
    expect(decodeHex("sha00ff7", 3, into)).toBeUndefined();
  });
});

describe("the drain bounds, as loaded", () => {
  it("a refused body is read and thrown away up to exactly 1 MiB; a byte more, or 1 s without its end, is given up", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { DRAIN_LIMITS, discardNodeBody } = await load(() => import("../../src/read-body.js"));
    const drain = (body?: Buffer) => {
      const request = Object.assign(new PassThrough(), { complete: false });
      const ended = discardNodeBody(request as unknown as IncomingMessage, DRAIN_LIMITS);
      if (body !== undefined) request.end(body);
      return ended;
    };
    expect(await drain(Buffer.alloc(1024 * 1024))).toBe(true);
    expect(await drain(Buffer.alloc(1024 * 1024 + 1))).toBe(false);
    let stalled: boolean | undefined;
    void drain().then((ended) => (stalled = ended));
    vi.advanceTimersByTime(999);
    await Promise.resolve();
    expect(stalled).toBeUndefined();
    vi.advanceTimersByTime(1);
    await vi.waitFor(() => expect(stalled).toBe(false));
  });
});
