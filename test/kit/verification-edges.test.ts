// The verification stage at its edges: a body of exactly the limit, the 413 answer's text and
// headers, and the request problems it answers 500 for (a clock that reads NaN, a target that
// path-and-query signing cannot read).
import { describe, expect, it } from "vitest";
import { signWebhook } from "vizochok-merchant-kit";
import { createVerifier, type VerificationOptions } from "../../src/core/verification.js";
import { NOW, SECRET, signedPost } from "./merchant.js";

const options = (fields: Partial<VerificationOptions> = {}): VerificationOptions => ({
  secrets: [SECRET],
  bodyLimit: 64,
  toleranceSeconds: 300,
  getSigning: "empty-body",
  now: () => NOW,
  ...fields,
});

describe("createVerifier()", () => {
  it("verifies a body of exactly the limit; one byte more is 413 naming the limit, closing the connection", async () => {
    const verify = createVerifier(options());
    const atLimit = JSON.stringify({ skus: ["x".repeat(30)], store_id: "store-1" }).padEnd(64, " ");
    expect(atLimit.length).toBe(64);
    const ok = await verify({ method: "POST", target: "/check-products", headers: signedPost(atLimit), rawBody: new TextEncoder().encode(atLimit) });
    expect(ok).toMatchObject({ ok: true, delivery: { secretIndex: 0, timestamp: NOW / 1000 } });

    const over = `${atLimit} `;
    const large = await verify({ method: "POST", target: "/check-products", headers: signedPost(over), rawBody: new TextEncoder().encode(over) });
    expect(large.ok).toBe(false);
    if (large.ok) return;
    expect(large.response).toEqual({
      status: 413,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", connection: "close" },
      body: JSON.stringify({ error: "payload_too_large", message: "body is larger than 64 bytes" }),
      error: "payload_too_large",
    });
  });

  it("500 internal_error naming the clock when now() reads NaN, before any signature check", async () => {
    const verify = createVerifier(options({ now: () => Number.NaN }));
    const result = await verify({ method: "POST", target: "/cart", headers: {}, rawBody: new Uint8Array(0) });
    expect(result.ok === false && [result.response.status, JSON.parse(result.response.body)]).toEqual([
      500,
      { error: "internal_error", message: "now must be a finite number of milliseconds, got the number NaN" },
    ]);
  });

  it("path-and-query: a GET whose target it cannot read is 500 internal_error; a readable one verifies; POSTs ignore the target", async () => {
    const verify = createVerifier(options({ getSigning: "path-and-query" }));
    const target = "/cart/items?store_id=store-1&session_id=s-1";
    const headers = signWebhook({ secret: SECRET, timestamp: NOW / 1000, method: "GET", url: target, getSigning: "path-and-query" });
    const ok = await verify({ method: "get", target, headers, rawBody: new Uint8Array(0) });
    expect(ok.ok).toBe(true);

    const unreadable = await verify({ method: "GET", target: "cart/items?store_id=store-1", headers, rawBody: new Uint8Array(0) });
    expect(unreadable.ok === false && [unreadable.response.status, JSON.parse(unreadable.response.body)]).toEqual([
      500,
      { error: "internal_error", message: 'getSigning "path-and-query" needs url: the request target (/path?query) or an absolute URL' },
    ]);

    const body = '{"skus":["milk-001"],"store_id":"store-1"}';
    const post = await verify({ method: "POST", target: "not a target", headers: signedPost(body), rawBody: new TextEncoder().encode(body) });
    expect(post.ok).toBe(true);
  });

  it("passes a request's own signature failure on with its code and message", async () => {
    const verify = createVerifier(options());
    const result = await verify({ method: "POST", target: "/cart", headers: { "x-vizochok-timestamp": String(NOW / 1000) }, rawBody: new Uint8Array(0) });
    expect(result.ok === false && [result.response.status, JSON.parse(result.response.body)]).toEqual([
      401,
      { error: "missing_signature", message: "X-VIZOCHOK-Signature header is missing" },
    ]);
  });
});
