// The answers the core's stages give in full (status, headers and body text): routing's
// refusals, the answer check's 200 and 500, and what a handler's failure leaves in the log.
import { describe, expect, it } from "vitest";
import { ProductsResponse } from "vizochok-merchant-kit";
import { checkAnswer } from "../../src/core/answer-check.js";
import { createDispatcher, type DispatchRequest } from "../../src/core/dispatch.js";
import { createRouter, DEFAULT_PATHS } from "../../src/core/routing.js";
import { createVerifier } from "../../src/core/verification.js";
import { NOW, SECRET, createCapturingLogger, createRecordingMerchant, productsBody, signedGet } from "./merchant.js";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
const json = { "content-type": "application/json" };

describe("createRouter() refusals", () => {
  const match = createRouter(DEFAULT_PATHS, 100);

  it("matches only the webhook paths themselves, with or without one trailing slash", () => {
    expect(match("POST", "/cart/", json)).toEqual({ type: "matched", kind: "cart", readBody: true });
    expect(match("POST", "/carts", json)).toEqual({ type: "unmatched" });
    expect(match("POST", "/cart!", json)).toEqual({ type: "unmatched" });
    expect(match("GET", "/cart/items/", {})).toEqual({ type: "matched", kind: "cart_get", readBody: false });
    expect(match("GET", "/", {})).toEqual({ type: "unmatched" });
  });

  it("405 names every method the path takes, in the Allow header and the message", () => {
    const shared = createRouter({ products: "/check-products", cart: "/cart", cartGet: "/cart" }, 100);
    expect(shared("PUT", "/cart", json)).toEqual({
      type: "rejected",
      response: {
        status: 405,
        headers: { ...JSON_HEADERS, allow: "POST, GET" },
        body: JSON.stringify({ error: "method_not_allowed", message: "use POST, GET for /cart" }),
        error: "method_not_allowed",
      },
    });
  });

  it.each(["application/jsonp", "text/x-application/json", "application/json-seq"])("415 for Content-Type %s", (contentType) => {
    expect(match("POST", "/cart", { "content-type": contentType })).toEqual({
      type: "rejected",
      response: {
        status: 415,
        headers: JSON_HEADERS,
        body: JSON.stringify({ error: "unsupported_media_type", message: "Content-Type must be application/json" }),
        error: "unsupported_media_type",
      },
    });
  });

  it("takes application/json with parameters or spaces; a declared length of exactly the limit is read", () => {
    expect(match("POST", "/cart", { "content-type": "Application/JSON ; charset=utf-8" })).toMatchObject({ type: "matched" });
    expect(match("POST", "/cart", { ...json, "content-length": "100" })).toMatchObject({ type: "matched", kind: "cart" });
    expect(match("POST", "/cart", { ...json, "content-length": "101" })).toMatchObject({ type: "rejected", response: { status: 413 } });
  });
});

describe("checkAnswer() answers", () => {
  const where = { requestId: "r-1", kind: "products" as const };

  it("a good answer is a 200 with JSON headers and the answer's text", () => {
    const answer = { products: [{ sku: "a", price: 1, in_stock: true }] };
    expect(checkAnswer(ProductsResponse, answer, where, createCapturingLogger())).toEqual({ status: 200, headers: JSON_HEADERS, body: JSON.stringify(answer) });
  });

  it("a broken answer is a 500 whose message says the answer breaks the contract", () => {
    const logger = createCapturingLogger();
    expect(checkAnswer(ProductsResponse, { products: [{ sku: "a", price: -1 }] }, where, logger)).toEqual({
      status: 500,
      headers: JSON_HEADERS,
      body: JSON.stringify({ error: "invalid_handler_answer", message: "the handler's answer does not match the contract" }),
      error: "invalid_handler_answer",
    });
    expect(logger.lines).toEqual([
      {
        level: "error",
        fields: { requestId: "r-1", kind: "products", issues: expect.any(Array) },
        message: "handler returned an answer that breaks the VIZOCHOK contract; fix the handler",
      },
    ]);
  });
});

describe("a handler that throws something other than an Error", () => {
  it("is 500 handler_failed, logged with the thrown value as text", async () => {
    const merchant = createRecordingMerchant();
    const logger = createCapturingLogger();
    const handlers = {
      ...merchant.handlers,
      products: () => {
        throw "stock service down";
      },
    };
    const dispatch = createDispatcher({ handlers, budgetMs: 4500, now: () => NOW, logger });
    const request: DispatchRequest = {
      kind: "products",
      rawBody: new TextEncoder().encode(productsBody()),
      query: new URLSearchParams(),
      requestId: "r-7",
      deadline: NOW + 4500,
      secretIndex: 0,
      claim: undefined,
    };
    const answer = await dispatch(request);
    expect([answer.status, answer.error]).toEqual([500, "handler_failed"]);
    expect(logger.lines).toEqual([{ level: "error", fields: { requestId: "r-7", kind: "products", err: { value: "stock service down" } }, message: "handler threw" }]);
  });
});

describe("createVerifier() under empty-body signing", () => {
  it("verifies a GET whatever its target: only path-and-query signing reads it", async () => {
    const verify = createVerifier({ secrets: [SECRET], bodyLimit: 100, toleranceSeconds: 300, getSigning: "empty-body", now: () => NOW });
    const result = await verify({ method: "GET", target: "cart/items?store_id=store-1", headers: signedGet(), rawBody: new Uint8Array(0) });
    expect(result).toMatchObject({ ok: true, delivery: { secretIndex: 0 } });
  });
});
