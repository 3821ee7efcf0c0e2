// Starts one server variant for test/bench/kit.bench.ts and prints `{"port": N}` once listening.
// All variants answer the same 10 fixed products, so the only difference is the plumbing. Each
// counts its handler runs and reports them at GET /__bench/counts, so the benchmark can check
// that every answered request really reached the handler. The kit is the build the benchmark
// made (`BENCH_KIT_ENTRY`, see test/bench/built-kit.ts), or its source when that is unset.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import express from "express";
import type { WebhookHandlers } from "vizochok-merchant-kit";
import { BENCH_SECRET } from "../harness.js";

const entry = process.env.BENCH_KIT_ENTRY;
const { createNodeWebhookHandler, createWebhookRouter, silentLogger } = (
  entry === undefined ? await import("vizochok-merchant-kit") : await import(pathToFileURL(entry).href)
) as typeof import("vizochok-merchant-kit");

const products = Array.from({ length: 10 }, (_, i) => ({ sku: `sku-${i}`, price: 10 + i, in_stock: i % 3 !== 0 }));
let runs = 0;
const handlers: WebhookHandlers = {
  products: () => {
    runs++;
    return { products };
  },
};

function counts(response: ServerResponse): void {
  const cpu = process.cpuUsage();
  // CPU time this process has used (µs), so the benchmark can divide a round's share by its requests.
  const payload = JSON.stringify({ products: runs, cpuMicros: cpu.user + cpu.system });
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  response.end(payload);
}
const isCounts = (request: IncomingMessage) => request.method === "GET" && request.url === "/__bench/counts";

const variant = process.argv[2];
const server = (() => {
  switch (variant) {
    case "kit-express": {
      const app = express();
      app.get("/__bench/counts", (_req, res) => counts(res));
      app.use("/api/vizochok", createWebhookRouter({ secret: BENCH_SECRET, handlers, logger: silentLogger }));
      return createServer(app);
    }
    case "bare-express": {
      const app = express();
      app.get("/__bench/counts", (_req, res) => counts(res));
      app.post("/api/vizochok/check-products", express.json(), (req, res) => {
        res.json(handlers.products(req.body, undefined as never));
      });
      return createServer(app);
    }
    case "kit-node": {
      const kit = createNodeWebhookHandler({
        secret: BENCH_SECRET,
        handlers,
        logger: silentLogger,
        paths: { products: "/api/vizochok/check-products" },
      });
      return createServer((req, res) => (isCounts(req) ? counts(res) : void kit(req, res)));
    }
    case "bare-node":
      return createServer((req, res) => {
        if (isCounts(req)) return counts(res);
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          const payload = JSON.stringify(handlers.products(body, undefined as never));
          res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
          res.end(payload);
        });
      });
    default:
      throw new Error(`unknown variant ${variant}`);
  }
})();

server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
