// Each stage of the core on its own: routing, verification, replay, dispatch, answer check.
import { describe, expect, it } from "vitest";
import { ProductsResponse, createMemoryReplayGuard, type WebhookContext } from "vizochok-merchant-kit";
import { checkAnswer } from "../../src/core/answer-check.js";
import { createDispatcher, type DispatchRequest } from "../../src/core/dispatch.js";
import { createReplayStage } from "../../src/core/replay.js";
import { jsonResponse, type CoreResponse } from "../../src/core/responses.js";
import { createRouter, DEFAULT_PATHS } from "../../src/core/routing.js";
import { createVerifier } from "../../src/core/verification.js";
import { NOW, SECRET, dispatchRequest, createCapturingLogger, createRecordingMerchant, productsBody, replayDelivery as delivery, signedPost } from "./merchant.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("createRouter()", () => {
  const match = createRouter(DEFAULT_PATHS, 100);
  const json = { "content-type": "application/json" };

  it("matches each webhook by path and method; only POSTs need their body", () => {
    expect(match("POST", "/check-products", json)).toEqual({ type: "matched", kind: "products", readBody: true });
    expect(match("post", "/cart/", json)).toEqual({ type: "matched", kind: "cart", readBody: true });
    expect(match("GET", "/cart/items", {})).toEqual({ type: "matched", kind: "cart_get", readBody: false });
    expect(match("GET", "/elsewhere", {})).toEqual({ type: "unmatched" });
  });

  it("405 with Allow, 415 for a non-JSON type, 413 for a declared length over the limit", () => {
    const wrongMethod = match("GET", "/cart", {});
    expect(wrongMethod.type === "rejected" && [wrongMethod.response.status, wrongMethod.response.headers.allow]).toEqual([405, "POST"]);
    const wrongType = match("POST", "/cart", { "content-type": "text/plain" });
    expect(wrongType.type === "rejected" && wrongType.response.error).toBe("unsupported_media_type");
    const tooLong = match("POST", "/cart", { ...json, "content-length": "101" });
    expect(tooLong.type === "rejected" && [tooLong.response.status, tooLong.response.headers.connection]).toEqual([413, "close"]);
  });
});

describe("createVerifier()", () => {
  const verify = createVerifier({ secrets: ["whsec_new", SECRET], bodyLimit: 1000, toleranceSeconds: 300, getSigning: "empty-body", now: () => NOW });
  const body = productsBody();

  it("names the secret that verified and the delivery's timestamp and signature", async () => {
    const headers = signedPost(body);
    const result = await verify({ method: "POST", target: "/check-products", headers, rawBody: bytes(body) });
    expect(result).toEqual({
      ok: true,
      delivery: { secretIndex: 1, timestamp: NOW / 1000, signature: headers["X-VIZOCHOK-Signature"]!.slice("sha256=".length) },
    });
  });

  it("401 signature_mismatch when one byte differs; 413 past the limit before any HMAC", async () => {
    const tampered = await verify({ method: "POST", target: "/", headers: signedPost(body), rawBody: bytes(body.replace("store-1", "store-2")) });
    expect(tampered.ok === false && [tampered.response.status, tampered.response.error]).toEqual([401, "signature_mismatch"]);
    const large = await verify({ method: "POST", target: "/", headers: {}, rawBody: new Uint8Array(1001) });
    expect(large.ok === false && large.response.status).toBe(413);
  });
});

describe("createReplayStage()", () => {
  const setup = (identical: "apply" | "refuse" = "apply") => {
    let t = NOW;
    const logger = createCapturingLogger();
    const replay = createReplayStage({ guard: createMemoryReplayGuard({ now: () => t }), toleranceSeconds: 300, identical, now: () => t, logger });
    let runs = 0;
    const run = (answer: CoreResponse) => () => {
      runs++;
      return answer;
    };
    return { replay, logger, run, runs: () => runs, advance: (ms: number) => void (t += ms) };
  };

  it("runs a delivery once; a copy 1 s after it arrived gets the stored answer, marked as replayed", async () => {
    const { replay, run, runs, advance } = setup();
    const first = await replay(delivery(), run(jsonResponse('{"ok":true}')));
    advance(1_000);
    const again = await replay(delivery({ requestId: "r-2", receivedAt: NOW + 1_000 }), run(jsonResponse('{"ok":false,"reason":"out_of_stock"}')));
    expect(runs()).toBe(1);
    expect([first.body, again.body, again.headers["x-vizochok-replayed"]]).toEqual(['{"ok":true}', '{"ok":true}', "1"]);
  });

  it("a copy after the answer and < 1 s after the first runs, and its run gets its own claim; refusing, it is 409", async () => {
    const claims: unknown[] = [];
    const { replay, advance } = setup();
    const run = (claim: unknown) => {
      claims.push(claim);
      return jsonResponse('{"ok":true}');
    };
    await replay(delivery(), run);
    advance(300);
    const again = await replay(delivery({ receivedAt: NOW + 300 }), run);
    expect(again.headers["x-vizochok-replayed"]).toBeUndefined();
    expect(claims).toEqual([expect.objectContaining({ token: expect.any(String) }), expect.objectContaining({ token: expect.any(String) })]);
    expect(new Set(claims.map((c) => (c as { token: string }).token)).size).toBe(2);

    const refusing = setup("refuse");
    await refusing.replay(delivery(), refusing.run(jsonResponse('{"ok":true}')));
    refusing.advance(300);
    const refused = await refusing.replay(delivery({ receivedAt: NOW + 300 }), refusing.run(jsonResponse('{"ok":true}')));
    expect([refused.status, refused.error, refusing.runs()]).toEqual([409, "duplicate_delivery", 1]);
  });

  it("401 replayed for the same signature on another path, logged with the signature redacted", async () => {
    const { replay, logger, run } = setup();
    await replay(delivery(), run(jsonResponse('{"ok":true}')));
    const other = await replay(delivery({ path: "/basket" }), run(jsonResponse("{}")));
    expect([other.status, other.error]).toEqual([401, "replayed"]);
    expect(JSON.stringify(logger.lines)).not.toContain("ab".repeat(32));
  });

  it("forgets a delivery answered 5xx, so the retry runs; products and cart GETs are never guarded", async () => {
    const { replay, run, runs, advance } = setup();
    await replay(delivery(), run({ status: 503, headers: {}, body: "{}" }));
    advance(1_000);
    await replay(delivery({ receivedAt: NOW + 1_000 }), run(jsonResponse('{"ok":true}')));
    await replay(delivery({ kind: "cart_get", path: "/cart/items" }), run(jsonResponse('{"items":[]}')));
    await replay(delivery({ kind: "cart_get", path: "/cart/items" }), run(jsonResponse('{"items":[]}')));
    await replay(delivery({ kind: "products", path: "/check-products" }), run(jsonResponse('{"products":[]}')));
    await replay(delivery({ kind: "products", path: "/check-products" }), run(jsonResponse('{"products":[]}')));
    expect(runs()).toBe(6);
  });
});

describe("createDispatcher()", () => {
  const request = (fields: Partial<DispatchRequest>) => dispatchRequest(fields, ["milk-001"]);

  it("calls the handler for the kind with the validated request and its context", async () => {
    const merchant = createRecordingMerchant();
    const dispatch = createDispatcher({ handlers: merchant.handlers, budgetMs: 4500, now: () => NOW, logger: createCapturingLogger() });
    const answer = await dispatch(request({}));
    expect(JSON.parse(answer.body)).toEqual({ products: [{ sku: "milk-001", price: 42.5, in_stock: true }] });
    expect(merchant.calls[0]).toMatchObject({ method: "products", context: { kind: "products", storeId: "store-1", requestId: "r-1" } });
  });

  it("400 invalid_json for a products body that is not JSON; a malformed cart request is a 200 business answer", async () => {
    const merchant = createRecordingMerchant();
    const dispatch = createDispatcher({ handlers: merchant.handlers, budgetMs: 4500, now: () => NOW, logger: createCapturingLogger() });
    const broken = await dispatch(request({ rawBody: bytes("{") }));
    const cart = await dispatch(request({ kind: "cart", rawBody: bytes('{"action":"add","sku":"milk-001"}') }));
    expect([broken.status, broken.error]).toEqual([400, "invalid_json"]);
    expect([cart.status, JSON.parse(cart.body)]).toEqual([200, { ok: false, reason: "missing_params" }]);
    expect(merchant.calls).toHaveLength(0);
  });

  it("503 handler_timeout at the deadline, and the handler's signal is aborted", async () => {
    let seen: WebhookContext | undefined;
    const dispatch = createDispatcher({
      handlers: {
        products(_request, context) {
          seen = context;
          return new Promise(() => {});
        },
      },
      budgetMs: 4500,
      now: () => NOW,
      logger: createCapturingLogger(),
    });
    const answer = await dispatch(request({ deadline: NOW }));
    expect([answer.status, answer.error]).toEqual([503, "handler_timeout"]);
    expect(seen?.signal.aborted).toBe(true);
  });
});

describe("checkAnswer()", () => {
  it("sends a valid answer as JSON, a broken one as 500 with the issues logged", () => {
    const logger = createCapturingLogger();
    const where = { requestId: "r-1", kind: "products" as const };
    const good = checkAnswer(ProductsResponse, { products: [{ sku: "a", price: 1, in_stock: true }] }, where, logger);
    const bad = checkAnswer(ProductsResponse, { products: [{ sku: "a", price: -1 }] }, where, logger);
    expect([good.status, JSON.parse(good.body)]).toEqual([200, { products: [{ sku: "a", price: 1, in_stock: true }] }]);
    expect([bad.status, bad.error]).toEqual([500, "invalid_handler_answer"]);
    expect(logger.lines).toEqual([expect.objectContaining({ level: "error", fields: expect.objectContaining({ requestId: "r-1", issues: expect.any(Array) }) })]);
  });
});
