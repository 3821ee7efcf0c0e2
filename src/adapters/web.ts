import { discardWebBody, readWebBody } from "../read-body.js";
import { createWebhookCore, type CoreResponse, type WebhookKitOptions } from "../webhook-core.js";
import { createPipeline } from "./pipeline.js";

export type WebWebhookHandler = (request: Request) => Promise<Response>;

/**
 * A Fetch API handler (`Request → Response`) for Next.js route handlers, Hono, Bun and Deno.
 * Paths are matched against the URL's pathname.
 *
 * @example
 * const handle = createWebWebhookHandler({ secret, handlers, paths: { products: "/api/vizochok/check-products" } });
 * export const POST = handle; // Next.js app router
 */
export function createWebWebhookHandler(options: WebhookKitOptions): WebWebhookHandler {
  const core = createWebhookCore(options);
  const pipeline = createPipeline(core, {
    method: (request: ParsedRequest) => request.native.method,
    path: (request) => request.url.pathname,
    target: (request) => request.url.pathname + request.url.search,
    headers: (request) => request.native.headers,
    query: (request) => request.url.searchParams,
    readBody(request, limit, receiver) {
      readWebBody(request.native, limit).then(
        (read) => (read.ok ? receiver.received(read.body) : receiver.failed(read.reason)),
        (error: unknown) => receiver.crashed(error),
      );
    },
    discardBody: (request, limits) => discardWebBody(request.native, limits),
    respond: (answer, request) => toResponse(answer ?? core.errorResponse("not_found", `no webhook at ${request.url.pathname}`)),
  });
  return function vizochokWebHandler(request) {
    return Promise.resolve(pipeline({ native: request, url: new URL(request.url) }, undefined, undefined));
  };
}

interface ParsedRequest {
  native: Request;
  url: URL;
}

function toResponse(answer: CoreResponse): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
