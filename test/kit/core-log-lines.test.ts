// The core as a whole: each answer's log line (level, message, duration from arrival), the
// answer when the replay guard fails, and dispatch's answers at its edges (their messages, a
// synchronous answer for a synchronous handler, a signal that aborts however often it is read),
// and the request ids it makes by default.
import { describe, expect, it } from "vitest";
import type { WebhookContext } from "vizochok-merchant-kit";
import { createDispatcher, type DispatchRequest } from "../../src/core/dispatch.js";
import { createWebhookCore, type CoreRequest } from "../../src/webhook-core.js";
import { NOW, SECRET, dispatchRequest, cartBody, createCapturingLogger, createRecordingMerchant, productsBody, signedPost } from "./merchant.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const post = (path: string, body: string, fields: Partial<CoreRequest> = {}): CoreRequest => ({
  method: "POST",
  path,
  target: path,
  query: new URLSearchParams(),
  headers: signedPost(body),
  rawBody: bytes(body),
  ...fields,
});

describe("createWebhookCore() request ids by default", () => {
  it("each answer's x-request-id is a version 4 UUID of its own, the same one its log line names", async () => {
    const logger = createCapturingLogger();
    const core = createWebhookCore({ secret: SECRET, handlers: createRecordingMerchant().handlers, logger, now: () => NOW });
    const ids: string[] = [];
    // More than one batch of the entropy the ids are drawn from (128 ids).
    for (let n = 0; n < 300; n++) {
      const answer = await core.handle("products", post("/check-products", productsBody([`sku-${n}`])));
      ids.push(answer.headers["x-request-id"]!);
    }
    expect(ids.filter((id) => !/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(300);
    expect(logger.lines.map((line) => line.fields.requestId)).toEqual(ids);
  });
});

describe("createWebhookCore() log lines", () => {
  const setup = (fields: Record<string, unknown> = {}) => {
    const logger = createCapturingLogger();
    const merchant = createRecordingMerchant();
    const core = createWebhookCore({ secret: SECRET, handlers: merchant.handlers, logger, now: () => NOW, generateRequestId: () => "req-1", ...fields });
    return { core, logger, merchant };
  };

  it("a 200 is one info line whose duration counts from the request's arrival", async () => {
    const { core, logger } = setup();
    const answer = await core.handle("products", post("/check-products", productsBody(), { receivedAt: NOW - 250 }));
    expect([answer.status, answer.headers["x-request-id"]]).toEqual([200, "req-1"]);
    expect(logger.lines).toEqual([{ level: "info", fields: { requestId: "req-1", kind: "products", status: 200, durationMs: 250 }, message: "webhook answered" }]);
  });

  it("a 500 from the handler's answer is an error line, not a warning", async () => {
    const { core, logger } = setup({ handlers: { ...createRecordingMerchant().handlers, products: () => ({ products: "none" }) } });
    const answer = await core.handle("products", post("/check-products", productsBody()));
    expect(answer.status).toBe(500);
    expect(logger.lines.at(-1)).toEqual({
      level: "error",
      fields: { requestId: "req-1", kind: "products", status: 500, durationMs: 0, code: "invalid_handler_answer" },
      message: "webhook failed",
    });
  });

  it("a replay guard that throws: 500 internal_error pointing at the log, which has the error", async () => {
    const replayGuard = {
      begin: () => {
        throw new Error("SQLITE_BUSY: database is locked");
      },
      complete: () => {},
      release: () => {},
    };
    const { core, logger, merchant } = setup({ replayGuard });
    const answer = await core.handle("cart", post("/cart", cartBody({ action: "add", sku: "milk-001" })));
    expect([answer.status, JSON.parse(answer.body)]).toEqual([500, { error: "internal_error", message: "the webhook could not be handled; see the server log" }]);
    expect(merchant.calls).toHaveLength(0);
    expect(logger.lines[0]).toMatchObject({
      level: "error",
      fields: { requestId: "req-1", kind: "cart", err: { type: "Error", message: "SQLITE_BUSY: database is locked" } },
      message: "webhook could not be handled",
    });
  });
});

describe("createDispatcher() edges", () => {
  const request = (fields: Partial<DispatchRequest>) => dispatchRequest(fields);
  const dispatcher = (handlers: object, now = () => NOW) => {
    const logger = createCapturingLogger();
    return { logger, dispatch: createDispatcher({ handlers: handlers as never, budgetMs: 4500, now, logger }) };
  };
  const body = (answer: { body: string }) => JSON.parse(answer.body) as unknown;

  it("answers a synchronous handler synchronously", () => {
    const { dispatch } = dispatcher(createRecordingMerchant().handlers);
    const answer = dispatch(request({}));
    expect(answer).not.toBeInstanceOf(Promise);
    expect((answer as { status: number }).status).toBe(200);
  });

  it("400s name what is wrong: not JSON (or not UTF-8), the body itself, a nested field", async () => {
    const { dispatch } = dispatcher(createRecordingMerchant().handlers);
    const notJson = { error: "invalid_json", message: "request body is not valid JSON" };
    expect(body(await dispatch(request({ rawBody: bytes("{") })))).toEqual(notJson);
    const latin1 = Uint8Array.from([...bytes('{"skus":["milk-'), 0xff, ...bytes('"],"store_id":"store-1"}')]);
    expect(body(await dispatch(request({ rawBody: latin1 })))).toEqual(notJson);
    expect(body(await dispatch(request({ rawBody: bytes("[1]") })))).toMatchObject({ error: "invalid_request", message: expect.stringMatching(/^body: /) });
    expect(body(await dispatch(request({ rawBody: bytes('{"skus":[1],"store_id":"store-1"}') })))).toMatchObject({
      error: "invalid_request",
      message: expect.stringMatching(/^skus\.0: /),
    });
  });

  it("404 naming what has no handler: a cart action, the cart GET", async () => {
    const { add: _add, cartGet: _cartGet, ...handlers } = createRecordingMerchant().handlers;
    const { dispatch } = dispatcher(handlers);
    const add = await dispatch(request({ kind: "cart", rawBody: bytes(cartBody({ action: "add", sku: "milk-001" })) }));
    expect([add.status, body(add)]).toEqual([404, { error: "not_found", message: 'no handler for cart action "add"' }]);
    const get = await dispatch(request({ kind: "cart_get", query: new URLSearchParams({ store_id: "store-1", session_id: "s-1" }) }));
    expect([get.status, body(get)]).toEqual([404, { error: "not_found", message: "no cart GET handler is configured" }]);
  });

  it("a handler answering null is 500 invalid_handler_answer", async () => {
    const { dispatch } = dispatcher({ ...createRecordingMerchant().handlers, products: () => null });
    const answer = await dispatch(request({}));
    expect([answer.status, answer.error]).toEqual([500, "invalid_handler_answer"]);
  });

  it("an async handler that rejects is 500 handler_failed, logged with the error", async () => {
    const { dispatch, logger } = dispatcher({ ...createRecordingMerchant().handlers, products: async () => Promise.reject(new RangeError("no stock service")) });
    const answer = await dispatch(request({}));
    expect([answer.status, body(answer)]).toEqual([500, { error: "handler_failed", message: "the handler failed; see the server log" }]);
    expect(logger.lines).toEqual([
      { level: "error", fields: { requestId: "r-1", kind: "products", err: expect.objectContaining({ type: "RangeError", message: "no stock service" }) }, message: "handler threw" },
    ]);
  });

  it("on timeout the signal the handler read first is aborted, however often it read it", async () => {
    let first: AbortSignal | undefined;
    let again: AbortSignal | undefined;
    const products = (_request: unknown, context: WebhookContext) => {
      first = context.signal;
      again = context.signal;
      return new Promise(() => {});
    };
    const { dispatch } = dispatcher({ ...createRecordingMerchant().handlers, products });
    const answer = await dispatch(request({ deadline: NOW }));
    expect([answer.status, answer.error]).toEqual([503, "handler_timeout"]);
    expect([first?.aborted, again?.aborted, first === again]).toEqual([true, true, true]);
  });
});
