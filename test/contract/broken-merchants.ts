// Deliberately broken merchants: each takes the correct in-memory merchant and breaks one thing,
// either in its handlers, in the kit's options, or below the kit in a raw node:http layer.
import { createServer, type IncomingMessage, type Server } from "node:http";
import {
  createWebWebhookHandler,
  signWebhook,
  silentLogger,
  type CompleteWebhookHandlers,
  type WebhookKitOptions,
} from "vizochok-merchant-kit";
import { createMemoryMerchant, MEMORY_SECRET } from "./memory-merchant.js";

export const BASE_PATH = "/api/vizochok";

export type Defect =
  | "none"
  | "no-signature-check"
  | "stale-timestamps-accepted"
  | "unrequested-skus-returned"
  | "replays-double-applied"
  | "500-on-malformed-json"
  | "cart-get-ignores-adds"
  | "unknown-sku-accepted";

interface Breakage {
  handlers?(handlers: CompleteWebhookHandlers): CompleteWebhookHandlers;
  options?: Partial<WebhookKitOptions>;
  /** Runs on the raw request before the kit sees it: may answer itself or rewrite the headers. */
  raw?(request: { method: string; headers: Record<string, string>; body: Buffer }): { status: number; body: string } | undefined;
}

const BREAKAGES: Record<Defect, Breakage> = {
  none: {},
  "no-signature-check": {
    // Below the kit: whatever arrives is re-signed with the right secret (keeping its timestamp
    // when it has one) and the window is off, as if nothing were verified at all.
    options: { toleranceSeconds: 10 * 365 * 24 * 3600 },
    raw(request) {
      const sent = Number(request.headers["x-vizochok-timestamp"]);
      const signed = signWebhook({
        secret: MEMORY_SECRET,
        method: request.method,
        ...(Number.isSafeInteger(sent) && sent >= 0 ? { timestamp: sent } : {}),
        ...(request.method === "GET" ? {} : { body: request.body }),
      });
      request.headers["x-vizochok-signature"] = signed["X-VIZOCHOK-Signature"];
      request.headers["x-vizochok-timestamp"] = signed["X-VIZOCHOK-Timestamp"];
      return undefined;
    },
  },
  "stale-timestamps-accepted": { options: { toleranceSeconds: 10 * 365 * 24 * 3600 } },
  "unrequested-skus-returned": {
    handlers: (h) => ({
      ...h,
      async products(request, context) {
        const answer = await h.products(request, context);
        return { products: [...answer.products, { sku: "bread-001", price: 24.9, in_stock: true }] };
      },
    }),
  },
  "replays-double-applied": { options: { replayGuard: false } },
  "500-on-malformed-json": {
    raw(request) {
      if (request.method !== "POST") return undefined;
      try {
        JSON.parse(request.body.toString("utf8"));
        return undefined;
      } catch {
        return { status: 500, body: '{"error":"SyntaxError: Unexpected token"}' };
      }
    },
  },
  "cart-get-ignores-adds": { handlers: (h) => ({ ...h, cartGet: () => ({ items: [] }) }) },
  "unknown-sku-accepted": {
    handlers: (h) => ({
      ...h,
      async add(request, context) {
        const answer = await h.add(request, context);
        return !answer.ok && answer.reason === "product_not_found" ? { ok: true } : answer;
      },
    }),
  },
};

/** A raw node:http server in front of the kit's fetch handler, so defects can sit below the kit. */
export function createBrokenMerchantServer(defect: Defect): Server {
  const breakage = BREAKAGES[defect];
  const merchant = createMemoryMerchant();
  const handle = createWebWebhookHandler({
    secret: MEMORY_SECRET,
    handlers: breakage.handlers?.(merchant.handlers) ?? merchant.handlers,
    paths: { products: `${BASE_PATH}/check-products`, cart: `${BASE_PATH}/cart`, cartGet: `${BASE_PATH}/cart/items` },
    logger: silentLogger,
    ...breakage.options,
  });
  return createServer(async (request, response) => {
    const raw = { method: request.method ?? "GET", headers: flatHeaders(request), body: await readAll(request) };
    const early = breakage.raw?.(raw);
    if (early !== undefined) {
      response.writeHead(early.status, { "content-type": "application/json" }).end(early.body);
      return;
    }
    const answer = await handle(
      new Request(`http://merchant${request.url ?? "/"}`, {
        method: raw.method,
        headers: raw.headers,
        ...(raw.method === "GET" ? {} : { body: new Uint8Array(raw.body) }),
      }),
    );
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => (headers[name] = value));
    response.writeHead(answer.status, headers).end(Buffer.from(await answer.arrayBuffer()));
  });
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers[name] = value;
  }
  return headers;
}

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
