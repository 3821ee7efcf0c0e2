// The shared pipeline through an in-memory adapter: a body that never arrived whole or was eaten
// by a parser, what a refused request's unread body costs, and an adapter whose respond() throws.
import { describe, expect, it } from "vitest";
import { createPipeline, type WebhookAdapter } from "../../src/adapters/pipeline.js";
import { DRAIN_LIMITS, type BodyFailure } from "../../src/read-body.js";
import { createWebhookCore, type CoreResponse } from "../../src/webhook-core.js";
import { NOW, SECRET, createCapturingLogger, createRecordingMerchant, productsBody, signedPost } from "./merchant.js";

interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | BodyFailure;
}

const setup = (options: { awaited?: boolean; throwsOnRespond?: number; method?: () => string } = {}) => {
  const logger = createCapturingLogger();
  const core = createWebhookCore({ secret: SECRET, handlers: createRecordingMerchant().handlers, logger, now: () => NOW });
  const discarded: FakeRequest[] = [];
  const sent: (CoreResponse | undefined)[] = [];
  let throwsLeft = options.throwsOnRespond ?? 0;
  const adapter: WebhookAdapter<FakeRequest, undefined, undefined, CoreResponse | undefined> = {
    method: options.method ?? ((request) => request.method),
    path: (request) => request.path,
    target: (request) => request.path,
    headers: (request) => request.headers,
    query: () => new URLSearchParams(),
    readBody: (request, _limit, receiver) => (typeof request.body === "string" ? receiver.failed(request.body) : receiver.received(request.body)),
    discardBody: async (request) => {
      discarded.push(request);
      return true;
    },
    respond: (answer) => {
      if (throwsLeft > 0) {
        throwsLeft--;
        throw new Error("socket gone");
      }
      sent.push(answer);
      return answer;
    },
    ...(options.awaited === undefined ? {} : { awaited: options.awaited }),
  };
  return { pipeline: createPipeline(core, adapter), logger, discarded, sent };
};

const products = (fields: Partial<FakeRequest> = {}): FakeRequest => {
  const body = productsBody();
  return { method: "POST", path: "/check-products", headers: signedPost(body), body: new TextEncoder().encode(body), ...fields };
};
const bodyOf = (answer: CoreResponse | undefined) => JSON.parse(answer!.body) as unknown;

describe("createPipeline() with a body it could not read", () => {
  it("400 invalid_request when the body did not arrive whole", async () => {
    const { pipeline } = setup();
    const answer = await pipeline(products({ body: "aborted" }), undefined, undefined);
    expect([answer?.status, bodyOf(answer)]).toEqual([400, { error: "invalid_request", message: "the request body was not received completely" }]);
  });

  it("500 body_already_parsed naming both fixes when a parser ate the body", async () => {
    const { pipeline } = setup();
    const answer = await pipeline(products({ body: "already_parsed" }), undefined, undefined);
    expect([answer?.status, bodyOf(answer)]).toEqual([
      500,
      {
        error: "body_already_parsed",
        message:
          "a body parser consumed the request before the VIZOCHOK router; mount the router before express.json(), or use express.json({ verify: captureRawBody }) so the raw bytes are kept",
      },
    ]);
  });
});

describe("createPipeline() with a refused request's unread body", () => {
  const refused = (headers: Record<string, string>) => products({ headers: { ...headers, "content-type": "text/plain" } });

  it("reads and discards a body of no declared length or up to the drain limit, then answers on an open connection", async () => {
    const { pipeline, discarded } = setup();
    for (const headers of [{}, { "content-length": String(DRAIN_LIMITS.maxBytes) }]) {
      const answer = await pipeline(refused(headers), undefined, undefined);
      expect([answer?.status, answer?.headers.connection]).toEqual([415, undefined]);
    }
    expect(discarded).toHaveLength(2);
  });

  it("closes the connection, reading nothing, for a declared length past the drain limit", async () => {
    const { pipeline, discarded } = setup();
    const answer = await pipeline(refused({ "content-length": String(DRAIN_LIMITS.maxBytes + 1) }), undefined, undefined);
    expect([answer?.status, answer?.headers.connection]).toEqual([415, "close"]);
    expect(discarded).toHaveLength(0);
  });
});

describe("createPipeline() when sending fails", () => {
  it("an adapter that cannot read the method: 500 internal_error, logged", () => {
    const { pipeline, logger } = setup({
      method: () => {
        throw new Error("no method");
      },
    });
    const answer = pipeline(products(), undefined, undefined) as CoreResponse;
    expect([answer.status, bodyOf(answer)]).toEqual([500, { error: "internal_error", message: "the webhook could not be handled" }]);
    expect(logger.lines).toMatchObject([{ level: "error", fields: { err: { message: "no method" } }, message: "webhook could not be handled" }]);
  });

  it("a respond() that throws once: the 500 is sent instead, and the error logged", async () => {
    const { pipeline, logger, sent } = setup({ throwsOnRespond: 1 });
    await pipeline(products(), undefined, undefined);
    expect(sent.map((answer) => [answer?.status, answer?.error])).toEqual([[500, "internal_error"]]);
    expect(logger.lines.filter((line) => line.message === "webhook could not be handled")).toHaveLength(1);
  });

  it("a respond() that throws twice: the 500 is tried once more; without an awaiting caller nothing else is logged", async () => {
    const { pipeline, logger, sent } = setup({ throwsOnRespond: 2, awaited: false });
    expect(pipeline(products(), undefined, undefined)).toBeUndefined();
    expect(sent.map((answer) => answer?.status)).toEqual([500]);
    expect(logger.lines.map((line) => line.message).filter((message) => message !== "webhook answered")).toEqual([
      "webhook could not be handled",
      "webhook could not be handled",
    ]);
  });

  it("a respond() that always throws: the awaiting caller gets the error; without one it is logged", async () => {
    const awaited = setup({ throwsOnRespond: 3 });
    await expect(awaited.pipeline(products(), undefined, undefined)).rejects.toThrow("socket gone");
    const notAwaited = setup({ throwsOnRespond: 3, awaited: false });
    expect(notAwaited.pipeline(products(), undefined, undefined)).toBeUndefined();
    expect(notAwaited.logger.lines.at(-1)).toMatchObject({ level: "error", fields: { err: { message: "socket gone" } }, message: "webhook could not be answered" });
  });
});
