import type { IncomingMessage } from "node:http";
import { Router, type NextFunction, type Request, type Response } from "express";
import { createWebhookCore, type WebhookKitOptions } from "../webhook-core.js";
import { handleNodeRequest, writeNodeResponse } from "./node.js";

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
  router.use(async function vizochokWebhooks(request: Request, response: Response, next: NextFunction) {
    try {
      const matched = core.match(request.method, request.path, request.headers);
      if (matched.type === "unmatched") return next();
      const preread = bodyAlreadyRead(request);
      if (matched.type === "matched" && matched.readBody && preread === "parsed") {
        return writeNodeResponse(
          response,
          core.errorResponse(
            "body_already_parsed",
            "a body parser consumed the request before the VIZOCHOK router; mount the router before " +
              "express.json(), or use express.json({ verify: captureRawBody }) so the raw bytes are kept",
          ),
        );
      }
      const answer = await handleNodeRequest(
        core,
        request,
        request.originalUrl,
        request.path,
        preread instanceof Uint8Array ? preread : undefined,
      );
      if (answer === undefined) return next();
      writeNodeResponse(response, answer);
    } catch {
      // Answer in the contract's shape rather than Express's HTML error page.
      writeNodeResponse(response, core.errorResponse("internal_error", "the webhook could not be handled"));
    }
  });
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
