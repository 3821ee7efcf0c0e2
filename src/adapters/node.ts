import type { IncomingMessage, ServerResponse } from "node:http";
import { discardNodeBody, readNodeBody } from "../read-body.js";
import { createWebhookCore, type CoreResponse, type WebhookKitOptions } from "../webhook-core.js";
import { createPipeline } from "./pipeline.js";

export type NodeWebhookHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * A `node:http` request listener. Paths are matched against the full request path, so set
 * `paths` to where the server receives the webhooks; anything else gets a 404.
 *
 * @example
 * http.createServer(createNodeWebhookHandler({ secret, handlers })).listen(3000);
 */
export function createNodeWebhookHandler(options: WebhookKitOptions): NodeWebhookHandler {
  const core = createWebhookCore(options);
  const pipeline = createPipeline(core, {
    method: (request: IncomingMessage) => request.method ?? "GET",
    path: (request) => pathOf(request.url ?? "/"),
    target: (request) => request.url ?? "/",
    headers: (request) => request.headers,
    query: (request) => queryOf(request.url ?? "/"),
    readBody: readNodeBody,
    discardBody: discardNodeBody,
    respond(answer, request, response: ServerResponse) {
      writeNodeResponse(response, answer ?? core.errorResponse("not_found", `no webhook at ${pathOf(request.url ?? "/")}`));
    },
  });
  return function vizochokNodeHandler(request, response) {
    const answered = pipeline(request, response, undefined);
    return answered instanceof Promise ? answered : ANSWERED;
  };
}

/** What the handler returns for a request answered before it returned. */
const ANSWERED = Promise.resolve();

/** Writes `answer` as it is; its headers object gains the content length (each answer has its own). */
export function writeNodeResponse(response: ServerResponse, answer: CoreResponse): void {
  if (response.headersSent || response.destroyed) return;
  const payload = answer.body;
  const headers = answer.headers;
  headers["content-length"] = String(Buffer.byteLength(payload));
  response.writeHead(answer.status, headers);
  response.end(payload);
}

export function pathOf(target: string): string {
  const q = target.indexOf("?");
  return q === -1 ? target : target.slice(0, q);
}

export function queryOf(target: string): URLSearchParams {
  const q = target.indexOf("?");
  return new URLSearchParams(q === -1 ? "" : target.slice(q + 1));
}
