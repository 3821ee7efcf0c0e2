// Starts one server variant for test/bench/kit.bench.ts and prints `{"port": N}` once listening.
// All variants answer the same 10 fixed products, so the only difference is the plumbing.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { createNodeWebhookHandler, createWebhookRouter, silentLogger, type WebhookHandlers } from "vizochok-merchant-kit";

import { BENCH_SECRET } from "../harness.js";
const products = Array.from({ length: 10 }, (_, i) => ({ sku: `sku-${i}`, price: 10 + i, in_stock: i % 3 !== 0 }));
const answer = { products };
const handlers: WebhookHandlers = { products: () => answer };

const variant = process.argv[2];
const server = (() => {
  switch (variant) {
    case "kit-express": {
      const app = express();
      app.use("/api/vizochok", createWebhookRouter({ secret: BENCH_SECRET, handlers, logger: silentLogger }));
      return createServer(app);
    }
    case "bare-express": {
      const app = express();
      app.post("/api/vizochok/check-products", express.json(), (req, res) => {
        res.json(handlers.products(req.body, undefined as never));
      });
      return createServer(app);
    }
    case "kit-node":
      return createServer(
        createNodeWebhookHandler({ secret: BENCH_SECRET, handlers, logger: silentLogger, paths: { products: "/api/vizochok/check-products" } }),
      );
    case "bare-node":
      return createServer((req, res) => {
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
