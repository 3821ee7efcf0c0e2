import type { IncomingMessage, ServerResponse } from "node:http";
import { discardNodeBody, readNodeBody } from "../read-body.js";
import { createWebhookCore, type WebhookKitOptions } from "../webhook-core.js";
import { pathOf, queryOf, writeNodeResponse } from "./node.js";
import { createPipeline } from "./pipeline.js";

export interface RawBodyRequest extends IncomingMessage {
  rawBody?: Buffer;
}

/**
 * For apps that must run `express.json()` globally: keep the raw bytes so signatures can still
 * be verified over exactly what VIZOCHOK sent.
 *
 * @example
 * app.use(express.json({ verify: captureRawBody }));
 * app.use("/api/vizochok", createWebhookRouter({ secret, handlers }));
 */
export function captureRawBody(request: IncomingMessage, _response: unknown, buffer: Buffer): void {
  (request as RawBodyRequest).rawBody = buffer;
}

/** What Express hands a middleware, as far as the kit reads it; Express's own types fit it. */
export interface ExpressLikeRequest extends IncomingMessage {
  /** Express: the full request target, before the mount path was stripped from `url`. */
  originalUrl?: string;
  /** Set by a body parser that ran before the router. */
  body?: unknown;
}

/**
 * An Express middleware (also Connect-compatible): `(request, response, next)`. It imports
 * nothing from Express, so a project without Express or `@types/express` can load the kit.
 */
export type WebhookMiddleware = (request: ExpressLikeRequest, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Express middleware for the three webhooks, mounted where they live. It reads the raw body
 * itself (no `express.json()` needed) and passes requests for other paths on to `next`.
 *
 * @example
 * app.use("/api/vizochok", createWebhookRouter({ secret: process.env.VIZOCHOK_WEBHOOK_SECRET!, handlers }));
 */
export function createWebhookRouter(options: WebhookKitOptions): WebhookMiddleware {
  const core = createWebhookCore(options);
  const pipeline = createPipeline(core, {
    method: (request: ExpressLikeRequest) => request.method ?? "GET",
    // Mounted with app.use(path, …), Express strips the mount path from `url`.
    path: (request) => pathOf(request.url ?? "/"),
    target: (request) => request.originalUrl ?? request.url ?? "/",
    headers: (request) => request.headers,
    query: (request) => queryOf(request.originalUrl ?? request.url ?? "/"),
    readBody(request, limit, receiver) {
      const preread = bodyAlreadyRead(request);
      if (preread === undefined) readNodeBody(request, limit, receiver);
      else if (preread === "parsed") receiver.failed("already_parsed");
      else receiver.received(preread);
    },
    discardBody: (request, limits) => discardNodeBody(request, limits),
    respond(answer, _request, response: ServerResponse, next: (error?: unknown) => void) {
      // Answer in the contract's shape, never Express's HTML error page.
      if (answer === undefined) next();
      else writeNodeResponse(response, answer);
    },
    awaited: false,
  });
  return function vizochokWebhooks(request, response, next) {
    void pipeline(request, response, next);
  };
}

/** The raw bytes if a parser kept them, "parsed" if it consumed the stream without, else undefined. */
function bodyAlreadyRead(request: ExpressLikeRequest): Buffer | "parsed" | undefined {
  const raw = (request as RawBodyRequest).rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  if (Buffer.isBuffer(request.body)) return request.body; // express.raw()
  const consumed = (request as { _body?: boolean })._body === true || request.readableEnded || request.body !== undefined;
  return consumed ? "parsed" : undefined;
}
