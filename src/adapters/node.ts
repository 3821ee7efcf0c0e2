import type { IncomingMessage, ServerResponse } from "node:http";
import { readNodeBody } from "../read-body.js";
import { createWebhookCore, type CoreResponse, type WebhookCore, type WebhookKitOptions } from "../webhook-core.js";

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
  return async function vizochokNodeHandler(request, response) {
    const target = request.url ?? "/";
    let answer: CoreResponse | undefined;
    try {
      answer = await handleNodeRequest(core, request, target, pathOf(target));
    } catch {
      // The core already answers its own failures; this is a last line so a request never hangs.
      answer = core.errorResponse("internal_error", "the webhook could not be handled");
    }
    writeNodeResponse(response, answer ?? core.errorResponse("not_found", `no webhook at ${pathOf(target)}`));
  };
}

/** Shared by the node and Express adapters; `undefined` when the path is not a webhook. */
export async function handleNodeRequest(
  core: WebhookCore,
  request: IncomingMessage,
  target: string,
  path: string,
  preread?: Uint8Array,
): Promise<CoreResponse | undefined> {
  const receivedAt = core.now();
  const matched = core.match(request.method ?? "GET", path, request.headers);
  if (matched.type === "unmatched") return undefined;
  if (matched.type === "rejected") {
    if (matched.response.status === 413 || matched.response.status === 415) request.resume();
    return matched.response;
  }
  let rawBody: Uint8Array = preread ?? EMPTY;
  if (matched.readBody && preread === undefined) {
    const read = await readNodeBody(request, core.bodyLimit);
    if (!read.ok) {
      return read.reason === "too_large"
        ? core.payloadTooLarge()
        : core.errorResponse("invalid_request", "the request body was not received completely");
    }
    rawBody = read.body;
  }
  return core.handle(matched.kind, {
    method: request.method ?? "GET",
    path,
    target,
    query: new URLSearchParams(queryOf(target)),
    headers: request.headers,
    rawBody,
    receivedAt,
  });
}

export function writeNodeResponse(response: ServerResponse, answer: CoreResponse): void {
  if (response.headersSent || response.destroyed) return;
  const payload = answer.body;
  response.writeHead(answer.status, { ...answer.headers, "content-length": Buffer.byteLength(payload) });
  response.end(payload);
}

const EMPTY = new Uint8Array(0);

function pathOf(target: string): string {
  const q = target.indexOf("?");
  return q === -1 ? target : target.slice(0, q);
}

function queryOf(target: string): string {
  const q = target.indexOf("?");
  return q === -1 ? "" : target.slice(q + 1);
}
