import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import {
  createNodeWebhookHandler,
  createWebhookRouter,
  createWebWebhookHandler,
  type WebhookKitOptions,
  type WebhookLogger,
} from "vizochok-merchant-kit";
import { createRecordingMerchant, productsBody, signedPost, type CapturedLog } from "./merchant.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const paths = { products: "/hooks/check-products" };

/** Every adapter, each on a real server, answering at `${base}/hooks/check-products`. */
const adapters: [string, (options: WebhookKitOptions) => Promise<string>][] = [
  [
    "createWebhookRouter()",
    (options) => {
      const app = express();
      app.use("/hooks", createWebhookRouter({ ...options, paths: {} }));
      return listen(createServer(app));
    },
  ],
  ["createNodeWebhookHandler()", (options) => listen(createServer(createNodeWebhookHandler({ ...options, paths })))],
  [
    "createWebWebhookHandler()",
    (options) => {
      const handle = createWebWebhookHandler({ ...options, paths });
      return listen(
        createServer(async (req, res) => {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          const request = new Request(`http://${req.headers.host}${req.url}`, {
            method: req.method!,
            headers: req.headers as Record<string, string>,
            body: Buffer.concat(chunks),
          });
          const response = await handle(request);
          response.headers.forEach((value, name) => res.setHeader(name, value));
          res.writeHead(response.status);
          res.end(Buffer.from(await response.arrayBuffer()));
        }),
      );
    },
  ],
];

describe.each(adapters)("%s last-resort answer", (_name, start) => {
  it("500 internal_error as JSON, and the error that caused it is logged", async () => {
    const lines: CapturedLog[] = [];
    // A logger that fails on the success line: the core has already answered, so only the
    // adapter's last-resort catch is left to answer and say why.
    const logger: WebhookLogger = {
      info() {
        throw new Error("log disk full");
      },
      warn: (fields, message) => void lines.push({ level: "warn", fields, message }),
      error: (fields, message) => void lines.push({ level: "error", fields, message }),
    };
    const merchant = createRecordingMerchant();
    const base = await start({ secret: "whsec_pipeline", handlers: merchant.handlers, logger });
    const body = productsBody(["milk-001"]);
    const res = await fetch(`${base}/hooks/check-products`, {
      method: "POST",
      headers: signedPost(body, { secret: "whsec_pipeline", timestamp: Math.floor(Date.now() / 1000) }),
      body,
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "internal_error", message: "the webhook could not be handled" });
    expect(merchant.calls).toHaveLength(1);
    const logged = lines.find((l) => l.level === "error" && l.message === "webhook could not be handled");
    expect(logged?.fields.err).toMatchObject({ type: "Error", message: "log disk full" });
  });
});
