import type { IncomingMessage } from "node:http";
import { Router, type NextFunction, type Request, type Response } from "express";
import { discardNodeBody, readNodeBody } from "../read-body.js";
import { createWebhookCore, type WebhookKitOptions } from "../webhook-core.js";
import { queryOf, writeNodeResponse } from "./node.js";
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

/**
 * An Express router for the three webhooks. It reads the raw body itself (no `express.json()`
 * needed) and passes requests for other paths on to the next handler.
 *
 * @example
 * app.use("/api/vizochok", createWebhookRouter({ secret: process.env.VIZOCHOK_WEBHOOK_SECRET!, handlers }));
 */
export function createWebhookRouter(options: WebhookKitOptions): Router {
  const core = createWebhookCore(options);
  const router = Router();
  router.use(
    createPipeline(core, {
      method: (request: Request) => request.method,
      path: (request) => request.path,
      target: (request) => request.originalUrl,
      headers: (request) => request.headers,
      query: (request) => queryOf(request.originalUrl),
      readBody(request, limit) {
        const preread = bodyAlreadyRead(request);
        if (preread === undefined) return readNodeBody(request, limit);
        return Promise.resolve(preread === "parsed" ? { ok: false, reason: "already_parsed" } : { ok: true, body: preread });
      },
      discardBody: (request, limits) => discardNodeBody(request, limits),
      respond(answer, _request, response: Response, next: NextFunction) {
        // Answer in the contract's shape, never Express's HTML error page.
        if (answer === undefined) next();
        else writeNodeResponse(response, answer);
      },
    }),
  );
  return router;
}

/** The raw bytes if a parser kept them, "parsed" if it consumed the stream without, else undefined. */
function bodyAlreadyRead(request: Request): Buffer | "parsed" | undefined {
  const raw = (request as RawBodyRequest).rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  if (Buffer.isBuffer(request.body)) return request.body; // express.raw()
  const consumed = (request as { _body?: boolean })._body === true || request.readableEnded || request.body !== undefined;
  return consumed ? "parsed" : undefined;
}
