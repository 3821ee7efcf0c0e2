import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import fc from "fast-check";
import supertest from "supertest";
import { describe, expect, it } from "vitest";
import { createMemoryReplayGuard, createWebhookRouter, type WebhookKitOptions } from "vizochok-merchant-kit";
import {
  NOW,
  SECRET,
  cartBody,
  createCapturingLogger,
  createRecordingMerchant,
  productsBody,
  signedGet,
  signedPost,
} from "./merchant.js";

function setup(overrides: Partial<WebhookKitOptions> = {}) {
  const merchant = createRecordingMerchant();
  const logger = createCapturingLogger();
  const app = express();
  app.use("/api/vizochok", createWebhookRouter({ secret: SECRET, handlers: merchant.handlers, logger, now: () => NOW, ...overrides }));
  app.get("/api/vizochok/other", (_req, res) => {
    res.json({ fellThrough: true });
  });
  return { app, merchant, logger, agent: supertest(app) };
}

const post = (agent: supertest.Agent | ReturnType<typeof supertest>, path: string, body: string, headers = signedPost(body)) =>
  agent.post(`/api/vizochok${path}`).set(headers).send(body);

describe("createWebhookRouter() — products", () => {
  it("200 with the handler's answer and a context for the request", async () => {
    const { agent, merchant } = setup();
    const res = await post(agent, "/check-products", productsBody(["milk-001", "unknown", "sold-out"]));
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      products: [
        { sku: "milk-001", price: 42.5, in_stock: true },
        { sku: "sold-out", price: 42.5, in_stock: false },
      ],
    });
    const call = merchant.calls[0]!;
    expect(call.request).toEqual({ skus: ["milk-001", "unknown", "sold-out"], store_id: "store-1" });
    expect(call.context).toMatchObject({ kind: "products", storeId: "store-1", sessionId: undefined, secretIndex: 0, deadline: NOW + 4500 });
    expect(call.context.requestId).toBe(res.headers["x-request-id"]);
  });

  it("400 invalid_json when the signed body is not JSON", async () => {
    const { agent, merchant } = setup();
    const res = await post(agent, "/check-products", '{"skus": [');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "invalid_json" });
    expect(merchant.calls).toHaveLength(0);
  });

  it("400 invalid_request naming the field when skus has the wrong type", async () => {
    const { agent } = setup();
    const res = await post(agent, "/check-products", JSON.stringify({ skus: "milk-001", store_id: "store-1" }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("invalid_request");
    expect(res.body.message).toMatch(/^skus:/);
  });

  it("400 invalid_request when store_id is missing", async () => {
    const { agent } = setup();
    const res = await post(agent, "/check-products", JSON.stringify({ skus: ["a"] }));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/store_id/);
  });
});

describe("createWebhookRouter() — signature failures are 401 and reach no handler", () => {
  const body = productsBody();
  const cases: [string, Record<string, string>, string][] = [
    ["no signature headers", { "content-type": "application/json" }, "missing_signature"],
    ["no timestamp header", { ...signedPost(body), "X-VIZOCHOK-Timestamp": "" }, "malformed_timestamp"],
    ["a wrong secret", signedPost(body, { secret: "whsec_wrong" }), "signature_mismatch"],
    ["a timestamp 301 s old", signedPost(body, { timestamp: NOW / 1000 - 301 }), "timestamp_too_old"],
    ["a timestamp 301 s in the future", signedPost(body, { timestamp: NOW / 1000 + 301 }), "timestamp_too_new"],
    ["a malformed signature header", { ...signedPost(body), "X-VIZOCHOK-Signature": "abc" }, "malformed_signature"],
  ];
  it.each(cases)("401 with %s", async (_name, headers, code) => {
    const { agent, merchant } = setup();
    const res = await post(agent, "/check-products", body, headers);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: code, message: expect.any(String) });
    expect(merchant.calls).toHaveLength(0);
  });

  it("401 when one byte of the body was changed after signing", async () => {
    const { agent, merchant } = setup();
    const res = await post(agent, "/cart", cartBody({ action: "add", sku: "milk-002" }), signedPost(cartBody({ action: "add", sku: "milk-001" })));
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("signature_mismatch");
    expect(merchant.carts.size).toBe(0);
  });

  it("accepts the previous secret during a rotation and says which one matched", async () => {
    const { agent, merchant } = setup({ secret: ["whsec_new", SECRET] });
    const res = await post(agent, "/check-products", productsBody());
    expect(res.status).toBe(200);
    expect(merchant.calls[0]!.context.secretIndex).toBe(1);
  });
});

describe("createWebhookRouter() — HTTP errors", () => {
  it.each(["text/plain", "application/jsonp", "application/json5"])("415 when the content type is %s", async (type) => {
    const { agent, merchant } = setup();
    const body = productsBody();
    const res = await post(agent, "/check-products", body, { ...signedPost(body), "content-type": type });
    expect(res.status).toBe(415);
    expect(res.body.error).toBe("unsupported_media_type");
    expect(merchant.calls).toHaveLength(0);
  });

  it("accepts application/json with a charset parameter", async () => {
    const { agent } = setup();
    const body = productsBody();
    const res = await post(agent, "/check-products", body, { ...signedPost(body), "content-type": "application/json; charset=utf-8" });
    expect(res.status).toBe(200);
  });

  it("413 when the declared body is over the limit", async () => {
    const { agent, merchant } = setup({ bodyLimit: 256 });
    const body = productsBody(Array.from({ length: 40 }, (_, i) => `sku-${i}`));
    const res = await post(agent, "/check-products", body);
    expect(res.status).toBe(413);
    expect(res.body.error).toBe("payload_too_large");
    expect(merchant.calls).toHaveLength(0);
  });

  it("413 when a chunked body grows past the limit, without waiting for its end", async () => {
    const { app, merchant } = setup({ bodyLimit: 1024 });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: "127.0.0.1", port, method: "POST", path: "/api/vizochok/cart", headers: { ...signedPost("x"), "transfer-encoding": "chunked" } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.write("x".repeat(4096)); // over the limit; the request is never ended
      });
      expect(status).toBe(413);
      expect(merchant.calls).toHaveLength(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("405 with an Allow header for the wrong method", async () => {
    const { agent } = setup();
    const res = await agent.get("/api/vizochok/check-products").set(signedGet());
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("POST");
    expect(res.body.error).toBe("method_not_allowed");
  });

  it("passes other paths on to the next route", async () => {
    const { agent } = setup();
    const res = await agent.get("/api/vizochok/other");
    expect(res.body).toEqual({ fellThrough: true });
  });

  it("serves custom paths", async () => {
    const { agent } = setup({ paths: { products: "/products", cart: "/cart/change", cartGet: "/cart" } });
    expect((await post(agent, "/products", productsBody())).status).toBe(200);
    expect((await post(agent, "/cart/change", cartBody({ action: "clear" }))).body).toEqual({ ok: true });
    expect((await agent.get("/api/vizochok/cart?store_id=store-1&session_id=s").set(signedGet())).body).toEqual({ items: [] });
    expect((await post(agent, "/check-products", productsBody())).status).toBe(404);
  });
});

describe("createWebhookRouter() — cart", () => {
  it("routes each action to its own handler method", async () => {
    const { agent, merchant } = setup();
    for (const [fields, method] of [
      [{ action: "add", sku: "milk-001", quantity: 2, name: "Milk", price: 42.5 }, "add"],
      [{ action: "update_quantity", sku: "milk-001", quantity: 0.5 }, "updateQuantity"],
      [{ action: "remove", sku: "milk-001" }, "remove"],
      [{ action: "clear" }, "clear"],
    ] as const) {
      const res = await post(agent, "/cart", cartBody(fields));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
      expect(merchant.calls.at(-1)!.method).toBe(method);
      expect(merchant.calls.at(-1)!.context).toMatchObject({ kind: "cart", storeId: "store-1", sessionId: "session-1" });
    }
  });

  it("passes a business rejection through as 200 { ok: false, reason }", async () => {
    const { agent } = setup();
    const res = await post(agent, "/cart", cartBody({ action: "remove", sku: "milk-001" }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: false, reason: "not_in_cart" });
  });

  const malformed: [string, string, string][] = [
    ["add without sku", cartBody({ action: "add", quantity: 1 }), "missing_sku"],
    ["add with an empty sku", cartBody({ action: "add", sku: "" }), "missing_sku"],
    ["remove with a numeric sku", cartBody({ action: "remove", sku: 42 }), "missing_sku"],
    ["update_quantity without quantity", cartBody({ action: "update_quantity", sku: "milk-001" }), "missing_params"],
    ["a quantity of zero", cartBody({ action: "update_quantity", sku: "milk-001", quantity: 0 }), "missing_params"],
    ["a quantity given as a string", cartBody({ action: "add", sku: "milk-001", quantity: "2" }), "missing_params"],
    ["a negative price", cartBody({ action: "add", sku: "milk-001", price: -1 }), "missing_params"],
    ["an unknown action", cartBody({ action: "empty_basket" }), "missing_params"],
    ["no action", cartBody({ sku: "milk-001" }), "missing_params"],
    ["no session_id", JSON.stringify({ action: "clear", store_id: "store-1" }), "missing_params"],
    ["a JSON array", "[]", "missing_params"],
    ["JSON null", "null", "missing_params"],
    ["malformed JSON", '{"action":"add",', "missing_params"],
    ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0x7d]).toString("latin1"), "missing_params"],
  ];
  it.each(malformed)("200 { ok: false } for %s, without calling a handler", async (_name, body, reason) => {
    const { agent, merchant } = setup();
    const res = await post(agent, "/cart", body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: false, reason });
    expect(merchant.calls).toHaveLength(0);
  });

  it("never answers a 5xx for any signed JSON value a client can send", async () => {
    const { agent } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ action: fc.constantFrom("add", "remove", "update_quantity", "clear", "x"), sku: fc.jsonValue(), quantity: fc.jsonValue(), store_id: fc.jsonValue(), session_id: fc.jsonValue() }, { requiredKeys: [] }),
        ),
        async (value) => {
          const body = JSON.stringify(value) ?? "null";
          const res = await post(agent, "/cart", body, signedPost(body));
          return res.status === 200 && typeof res.body.ok === "boolean";
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("createWebhookRouter() — cart GET", () => {
  it("200 with the cart for the session in the query", async () => {
    const { agent, merchant } = setup();
    await post(agent, "/cart", cartBody({ action: "add", sku: "milk-001", quantity: 2 }));
    const res = await agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=session-1").set(signedGet());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [{ sku: "milk-001", name: "milk-001", price: 42.5, quantity: 2 }] });
    expect(merchant.calls.at(-1)!.context).toMatchObject({ kind: "cart_get", storeId: "store-1", sessionId: "session-1" });
  });

  it("400 invalid_request when session_id is missing", async () => {
    const { agent } = setup();
    const res = await agent.get("/api/vizochok/cart/items?store_id=store-1").set(signedGet());
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/session_id/);
  });

  it("500 invalid_handler_answer when the cart GET handler's answer breaks the contract", async () => {
    const merchant = createRecordingMerchant();
    const { agent, logger } = setup({
      handlers: { ...merchant.handlers, cartGet: () => ({ items: [{ sku: "milk-001", name: "Milk", price: "42.50", quantity: 1 }] }) as never },
    });
    const res = await agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=s").set(signedGet());
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("invalid_handler_answer");
    const line = logger.lines.find((l) => l.level === "error" && /breaks the VIZOCHOK contract/.test(l.message ?? ""));
    expect(JSON.stringify(line?.fields)).toContain("price");
  });

  it("401 when unsigned", async () => {
    const { agent, merchant } = setup();
    const res = await agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=s");
    expect(res.status).toBe(401);
    expect(merchant.calls).toHaveLength(0);
  });

  it("answers two sessions' GETs signed in the same second (one shared signature) both", async () => {
    const { agent } = setup();
    const headers = signedGet();
    await post(agent, "/cart", cartBody({ action: "add", sku: "a", session_id: "alice" }));
    await post(agent, "/cart", cartBody({ action: "add", sku: "b", session_id: "bob" }));
    const [alice, bob, aliceAgain] = await Promise.all([
      agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=alice").set(headers),
      agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=bob").set(headers),
      agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=alice").set(headers),
    ]);
    expect(alice.body.items.map((i: { sku: string }) => i.sku)).toEqual(["a"]);
    expect(bob.body.items.map((i: { sku: string }) => i.sku)).toEqual(["b"]);
    expect(aliceAgain.status).toBe(200);
  });

  it("with path-and-query signing, a signature made for one session is refused for another", async () => {
    const { agent } = setup({ getSigning: "path-and-query" });
    const { signWebhook } = await import("vizochok-merchant-kit");
    const target = "/api/vizochok/cart/items?store_id=store-1&session_id=alice";
    const headers = signWebhook({ secret: SECRET, method: "GET", url: target, getSigning: "path-and-query", timestamp: NOW / 1000 });
    expect((await agent.get(target).set({ ...headers })).status).toBe(200);
    const other = await agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=bob").set({ ...headers });
    expect(other.status).toBe(401);
    expect(other.body.error).toBe("signature_mismatch");
  });
});

describe("createWebhookRouter() — handler failures", () => {
  it("500 handler_failed with a generic body; the details go to the log only", async () => {
    const { agent, logger } = setup({
      handlers: {
        products() {
          throw new Error("database password is hunter2");
        },
      },
    });
    const res = await post(agent, "/check-products", productsBody());
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: "handler_failed", message: "the handler failed; see the server log" });
    expect(JSON.stringify(res.body)).not.toContain("hunter2");
    expect(logger.lines.some((l) => l.level === "error" && JSON.stringify(l.fields).includes("hunter2"))).toBe(true);
  });

  it("500 invalid_handler_answer, logged loudly, when the handler breaks the contract", async () => {
    const { agent, logger } = setup({
      handlers: { products: () => ({ products: [{ sku: "milk-001", price: "42.50", in_stock: true }] }) as never },
    });
    const res = await post(agent, "/check-products", productsBody());
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("invalid_handler_answer");
    const line = logger.lines.find((l) => l.level === "error" && /breaks the VIZOCHOK contract/.test(l.message ?? ""));
    expect(JSON.stringify(line?.fields)).toContain("price");
  });

  it("500 invalid_handler_answer for a cart answer of { ok: false } without a reason", async () => {
    const merchant = createRecordingMerchant();
    const { agent } = setup({ handlers: { ...merchant.handlers, add: () => ({ ok: false }) as never } });
    const res = await post(agent, "/cart", cartBody({ action: "add", sku: "milk-001" }));
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("invalid_handler_answer");
  });

  it("503 handler_timeout when the handler outlives the budget, and its signal is aborted", async () => {
    let signal: AbortSignal | undefined;
    const { agent } = setup({
      now: Date.now,
      budgetMs: 50,
      handlers: {
        products: (_request, context) => {
          signal = context.signal;
          return new Promise(() => {});
        },
      },
    });
    const body = productsBody();
    const res = await post(agent, "/check-products", body, signedPost(body, { timestamp: Math.floor(Date.now() / 1000) }));
    expect(res.status).toBe(503);
    expect(res.body.error).toBe("handler_timeout");
    expect(signal?.aborted).toBe(true);
  });

  it("404 when a cart action has no handler configured", async () => {
    const { agent } = setup({ handlers: { products: () => ({ products: [] }) } });
    const res = await post(agent, "/cart", cartBody({ action: "clear" }));
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("not_found");
  });

  it("never logs the secret or a whole signature", async () => {
    const { agent, logger } = setup();
    const body = productsBody();
    const headers = signedPost(body);
    await post(agent, "/check-products", body, headers);
    await post(agent, "/check-products", body, headers);
    await post(agent, "/cart", body, headers); // products bytes at the cart: a malformed cart request, answered 200
    await post(agent, "/check-products", body, signedPost(body, { secret: "whsec_wrong" }));
    const everything = JSON.stringify(logger.lines);
    // One line per answer (a replay on another path, and its redaction, are in core-stages.test.ts).
    expect(logger.lines.map((l) => [l.level, l.message])).toEqual([
      ["info", "webhook answered"],
      ["info", "webhook answered"],
      ["info", "webhook answered"],
      ["warn", "webhook rejected"],
    ]);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(headers["X-VIZOCHOK-Signature"]!.slice(7, 7 + 16));
  });

  it("hands a logger with pino's isLevelEnabled only the lines at the levels it keeps", async () => {
    const capturing = createCapturingLogger();
    const asked: string[] = [];
    const logger = { ...capturing, isLevelEnabled: (level: string) => (asked.push(level), level !== "info") };
    const { agent } = setup({ logger });
    const body = productsBody();
    await post(agent, "/check-products", body);
    await post(agent, "/check-products", body, signedPost(body, { secret: "whsec_wrong" }));
    expect(asked).toEqual(["info", "warn"]);
    expect(capturing.lines.map((l) => [l.level, l.message, l.fields.status])).toEqual([["warn", "webhook rejected", 401]]);
  });
});

describe("createWebhookRouter() — identical deliveries", () => {
  function clocked(overrides: Partial<WebhookKitOptions> = {}) {
    let t = NOW;
    const context = setup({ now: () => t, ...overrides });
    return { ...context, advance: (ms: number) => void (t += ms) };
  }
  const milk = (merchant: ReturnType<typeof createRecordingMerchant>) => merchant.carts.get("store-1\u0000session-1")?.get("milk-001");

  it("a copy 1.5 s after the first gets the recorded answer, and the handler does not run again", async () => {
    const { agent, merchant, advance } = clocked();
    const body = cartBody({ action: "add", sku: "milk-001" });
    const headers = signedPost(body);
    const first = await post(agent, "/cart", body, headers);
    advance(1_500);
    const second = await post(agent, "/cart", body, headers);
    expect(first.body).toEqual({ ok: true });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ok: true });
    expect(second.headers["x-vizochok-replayed"]).toBe("1");
    expect(merchant.calls.filter((c) => c.method === "add")).toHaveLength(1);
    expect(milk(merchant)).toBe(1);
  });

  it("a re-delivery late in the signature's window (299 s after the first) still gets the recorded answer", async () => {
    const { agent, merchant, advance } = clocked();
    const body = cartBody({ action: "add", sku: "milk-001" });
    const headers = signedPost(body);
    await post(agent, "/cart", body, headers);
    advance(299_000);
    const late = await post(agent, "/cart", body, headers);
    expect([late.status, late.body, late.headers["x-vizochok-replayed"]]).toEqual([200, { ok: true }, "1"]);
    expect(milk(merchant)).toBe(1);
    // Past the window the signature itself is refused, so the record is no longer needed.
    advance(2_000);
    expect((await post(agent, "/cart", body, headers)).status).toBe(401);
    expect(milk(merchant)).toBe(1);
  });

  it("the same add again right after the answer (a double tap) is a new request: both applied, both ok", async () => {
    const { agent, merchant, advance } = clocked();
    const body = cartBody({ action: "add", sku: "milk-001" });
    const headers = signedPost(body);
    const first = await post(agent, "/cart", body, headers);
    advance(300);
    const second = await post(agent, "/cart", body, headers);
    expect([first.body, second.body]).toEqual([{ ok: true }, { ok: true }]);
    expect(second.headers["x-vizochok-replayed"]).toBeUndefined();
    expect(milk(merchant)).toBe(2);
    // And a re-delivery of that second add, 1 s after the first arrived, is not applied a third time.
    advance(700);
    const third = await post(agent, "/cart", body, headers);
    expect(third.headers["x-vizochok-replayed"]).toBe("1");
    expect(milk(merchant)).toBe(2);
  });

  it("409 duplicate_delivery for that double tap when identicalRequests is \"refuse\", and nothing applied", async () => {
    const { agent, merchant, advance } = clocked({ identicalRequests: "refuse" });
    const body = cartBody({ action: "add", sku: "milk-001" });
    const headers = signedPost(body);
    await post(agent, "/cart", body, headers);
    advance(300);
    const refused = await post(agent, "/cart", body, headers);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: "duplicate_delivery", message: expect.any(String) });
    expect(milk(merchant)).toBe(1);
    advance(700);
    const redelivered = await post(agent, "/cart", body, headers);
    expect(redelivered.body).toEqual({ ok: true });
    expect(redelivered.headers["x-vizochok-replayed"]).toBe("1");
    expect(milk(merchant)).toBe(1);
  });

  it("4 copies arriving while a slow handler runs: applied once, one answer for all", async () => {
    const merchant = createRecordingMerchant();
    const guard = createMemoryReplayGuard({ now: () => t });
    let t = NOW;
    // Counted by arrival (the kit makes one request id per request), not by the guard's calls:
    // a copy told "pending" asks again, and one copy asking four times is not four arrivals.
    let arrivals = 0;
    let allArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const { agent } = setup({
      now: () => t,
      replayGuard: guard,
      generateRequestId: () => {
        if (++arrivals === 4) allArrived();
        return `copy-${arrivals}`;
      },
      handlers: {
        ...merchant.handlers,
        async add(request, context) {
          await gate;
          return merchant.handlers.add(request, context);
        },
      },
    });
    const body = cartBody({ action: "add", sku: "milk-001", quantity: 3 });
    const headers = signedPost(body);
    const answers = Promise.all(Array.from({ length: 4 }, () => post(agent, "/cart", body, headers)));
    await arrived;
    t += 200; // the handler takes 200 ms; the copies arrived while it ran
    openGate();
    const replies = await answers;
    expect(replies.map((r) => [r.status, r.text])).toEqual(Array.from({ length: 4 }, () => [200, `{"ok":true}`]));
    expect(merchant.calls.filter((c) => c.method === "add")).toHaveLength(1);
    expect(milk(merchant)).toBe(3);
  });

  it("a products request has no record: a copy runs the handler again", async () => {
    const { agent, merchant } = clocked();
    const body = productsBody();
    const headers = signedPost(body);
    const [first, second] = [await post(agent, "/check-products", body, headers), await post(agent, "/check-products", body, headers)];
    expect(second.body).toEqual(first.body);
    expect(second.headers["x-vizochok-replayed"]).toBeUndefined();
    expect(merchant.calls.filter((c) => c.method === "products")).toHaveLength(2);
  });

  it("401 replayed when the same signed cart request arrives on another cart path sharing the guard", async () => {
    const merchant = createRecordingMerchant();
    const replayGuard = createMemoryReplayGuard({ now: () => NOW });
    const app = express();
    const options = { secret: SECRET, handlers: merchant.handlers, now: () => NOW, replayGuard, logger: createCapturingLogger() };
    app.use("/a", createWebhookRouter(options));
    app.use("/b", createWebhookRouter({ ...options, paths: { cart: "/basket" } }));
    const body = cartBody({ action: "add", sku: "milk-001" });
    const headers = signedPost(body);
    expect((await supertest(app).post("/a/cart").set(headers).send(body)).body).toEqual({ ok: true });
    const res = await supertest(app).post("/b/basket").set(headers).send(body);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("replayed");
    expect(milk(merchant)).toBe(1);
  });

  it("runs the handler again when the first delivery failed with a 5xx (VIZOCHOK's retry)", async () => {
    const merchant = createRecordingMerchant();
    let failures = 1;
    const { agent, advance } = clocked({
      handlers: {
        ...merchant.handlers,
        add(request, context) {
          if (failures-- > 0) throw new Error("database is locked");
          return merchant.handlers.add(request, context);
        },
      },
    });
    const body = cartBody({ action: "add", sku: "milk-001" });
    const headers = signedPost(body);
    expect((await post(agent, "/cart", body, headers)).status).toBe(500);
    advance(1_000);
    const retry = await post(agent, "/cart", body, headers);
    expect(retry.body).toEqual({ ok: true });
    expect(milk(merchant)).toBe(1);
  });

  it("hands the handler its claim, and the answer in the form the kit records", async () => {
    const { agent, merchant } = clocked();
    await post(agent, "/cart", cartBody({ action: "add", sku: "milk-001" }));
    const replay = merchant.calls[0]!.context.replay!;
    expect(replay.token).toEqual(expect.any(String));
    expect(replay.stored({ ok: false, reason: "out_of_stock" })).toEqual({ status: 200, body: `{"ok":false,"reason":"out_of_stock"}` });
    expect(() => replay.stored({ ok: "yes" } as never)).toThrow(/contract/);
  });

  it("with the guard off, every delivery runs the handler", async () => {
    const { agent, merchant, advance } = clocked({ replayGuard: false });
    const body = cartBody({ action: "add", sku: "milk-001" });
    const headers = signedPost(body);
    await post(agent, "/cart", body, headers);
    advance(1_500);
    await post(agent, "/cart", body, headers);
    expect(milk(merchant)).toBe(2);
    expect(merchant.calls[0]!.context.replay).toBeUndefined();
  });
});

describe("createWebhookRouter() — concurrency", () => {
  it("keeps 100 deliveries whose handlers are all running at once apart: each gets its own answer", async () => {
    const merchant = createRecordingMerchant();
    // No handler answers until all 100 are inside one: they can only finish if the kit runs them
    // side by side (one at a time, the first would wait out its budget and answer 503).
    let inside = 0;
    let allInside!: () => void;
    const everyoneIn = new Promise<void>((resolve) => (allInside = resolve));
    const { agent } = setup({
      handlers: {
        ...merchant.handlers,
        async products(request, context) {
          if (++inside === 100) allInside();
          await everyoneIn;
          return merchant.handlers.products(request, context);
        },
      },
    });
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => post(agent, "/check-products", productsBody([`sku-${i}`, `sku-${i}-b`]))),
    );
    expect(inside).toBe(100);
    responses.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body.products.map((p: { sku: string }) => p.sku)).toEqual([`sku-${i}`, `sku-${i}-b`]);
    });
  });
});

describe("createWebhookRouter() — failures inside the kit", () => {
  const failingGuard = (where: "begin" | "complete") => ({
    begin: () => {
      if (where === "begin") throw new Error("SQLITE_BUSY: database is locked");
      return { state: "new" as const, claim: { key: "k", token: "t" } };
    },
    complete: () => {
      throw new Error("SQLITE_BUSY: database is locked");
    },
    release: () => {},
  });

  it("500 internal_error as JSON (not an HTML page) when the replay guard fails before the handler runs", async () => {
    const { agent, merchant, logger } = setup({ replayGuard: failingGuard("begin") });
    const res = await post(agent, "/cart", cartBody({ action: "add", sku: "milk-001" })).timeout(5000);
    expect(res.status).toBe(500);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: "internal_error", message: expect.any(String) });
    expect(merchant.calls).toHaveLength(0);
    expect(logger.lines.some((l) => l.level === "error" && JSON.stringify(l.fields).includes("SQLITE_BUSY"))).toBe(true);
  });

  it("still sends the handler's answer when the guard cannot record it afterwards (no 5xx, so no double apply)", async () => {
    const { agent, merchant, logger } = setup({ replayGuard: failingGuard("complete") });
    const res = await post(agent, "/cart", cartBody({ action: "add", sku: "milk-001" }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    expect(merchant.carts.get("store-1\u0000session-1")?.get("milk-001")).toBe(1);
    expect(logger.lines.some((l) => l.level === "error" && /replay guard/.test(l.message ?? ""))).toBe(true);
  });
});

describe("createWebhookRouter() — leniency where the contract allows it", () => {
  it("accepts a trailing slash on a webhook path", async () => {
    const { agent } = setup();
    const res = await post(agent, "/check-products/", productsBody());
    expect(res.status).toBe(200);
  });

  it("passes any reason string through, however long", async () => {
    const merchant = createRecordingMerchant();
    const reason = `only_${"x".repeat(300)}`;
    const { agent } = setup({ handlers: { ...merchant.handlers, add: () => ({ ok: false, reason }) } });
    const res = await post(agent, "/cart", cartBody({ action: "add", sku: "milk-001" }));
    expect(res.body).toEqual({ ok: false, reason });
  });

  it("reads promo fields sent as null as absent", async () => {
    const { agent } = setup({
      handlers: { products: ({ skus }) => ({ products: skus.map((sku) => ({ sku, price: 10, in_stock: true, promo_price: null, promo_label: null })) }) },
    });
    const res = await post(agent, "/check-products", productsBody(["milk-001"]));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ products: [{ sku: "milk-001", price: 10, in_stock: true }] });
  });
});
