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
  return createPipeline(core, {
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
}

export function writeNodeResponse(response: ServerResponse, answer: CoreResponse): void {
  if (response.headersSent || response.destroyed) return;
  const payload = answer.body;
  response.writeHead(answer.status, { ...answer.headers, "content-length": Buffer.byteLength(payload) });
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
