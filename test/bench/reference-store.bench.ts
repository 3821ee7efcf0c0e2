// Reference store benchmarks: (a) products webhook, 10 SKUs, the whole store (SQLite, audit log,
// SQLite replay guard) vs the same kit router with an in-memory handler; (b) cart add at a fixed
// 500 req/s, p50/p99; (c) RSS after 100k requests vs after 10k.
// Run with `serve <variant> <database>` this file is the server process for one variant.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import express from "express";
import { createWebhookRouter, signWebhook, silentLogger, type ProductsResponse } from "vizochok-merchant-kit";
import { createStoreApp } from "../../reference-store/app.js";
import { Catalog, DEFAULT_CATALOG_PATH, loadCatalog } from "../../reference-store/catalog.js";
import { BENCH_SECRET, compare, round, startServerProcess, type BenchServer } from "./harness.js";

const SKUS = loadCatalog(DEFAULT_CATALOG_PATH)
  .offers.filter((offer) => offer.store_id === "store-1")
  .slice(0, 10)
  .map((offer) => offer.sku);
const thisFile = fileURLToPath(import.meta.url);

function serve(variant: string, databasePath: string): void {
  const app = (() => {
    if (variant === "store") {
      // The fixture catalog with deep stock, so a long burst of adds keeps reserving.
      const fixture = loadCatalog(DEFAULT_CATALOG_PATH);
      const seed = Catalog.parse({ ...fixture, offers: fixture.offers.map((offer) => ({ ...offer, stock: 10_000_000 })) });
      return createStoreApp({ databasePath, secret: BENCH_SECRET, seed, logger: silentLogger }).app;
    }
    if (variant === "memory") {
      // The same answers the store gives, computed once and held in memory.
      const store = createStoreApp({ databasePath: ":memory:", secret: BENCH_SECRET, logger: silentLogger });
      const answer: ProductsResponse = store.store.products({ store_id: "store-1", skus: SKUS });
      store.close();
      const memory = express();
      const handlers = { products: () => answer, add: () => ({ ok: true as const }) };
      memory.use("/api/vizochok", createWebhookRouter({ secret: BENCH_SECRET, handlers, logger: silentLogger }));
      return memory;
    }
    throw new Error(`unknown variant "${variant}"`);
  })();
  const server = app.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
}

let serial = 0;

/** Distinct, pre-signed deliveries so the replay guard never short-cuts and the client only sends bytes. */
function signedPool(size: number, body: (n: number) => object) {
  return Array.from({ length: size }, () => {
    const raw = JSON.stringify(body(serial++));
    return { body: raw, headers: { "content-type": "application/json", ...signWebhook({ secret: BENCH_SECRET, body: raw }) } };
  });
}

const productsBody = () => ({ skus: SKUS, store_id: "store-1" });
const addBody = (n: number) => ({ action: "add", store_id: "store-1", session_id: `bench-${n}`, sku: "milk-001", quantity: 1 });

function requestsFrom(pool: { body: string; headers: Record<string, string> }[]) {
  let next = 0;
  return [
    {
      method: "POST" as const,
      setupRequest(request: object) {
        const signed = pool[next++ % pool.length]!;
        return { ...request, body: signed.body, headers: signed.headers };
      },
    },
  ];
}

/**
 * Open-loop load: one request every 2 ms whatever the answers do, each on a kept-alive socket, so
 * the latency is what a steady 500 req/s stream sees (autocannon's `overallRate` sends in bursts).
 */
async function atFixedRate(url: string, pool: { body: string; headers: Record<string, string> }[], rate = 500, seconds = 6) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(url);
  const latencies: number[] = [];
  let failures = 0;
  const send = (signed: { body: string; headers: Record<string, string> }) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const request = httpRequest(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: signed.headers },
        (response) => {
          response.resume();
          response.on("end", () => {
            if (response.statusCode === 200) latencies.push(performance.now() - started);
            else failures++;
            resolve();
          });
        },
      );
      request.on("error", () => {
        failures++;
        resolve();
      });
      request.end(signed.body);
    });
  const total = rate * seconds;
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) inFlight.push(send(pool[sent++ % pool.length]!));
    await sleep(1);
  }
  await Promise.all(inFlight);
  agent.destroy();
  if (failures > 0) throw new Error(`${failures} failed requests — the measurement is invalid`);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1]! };
}

function rssMiB(server: BenchServer): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "store-bench-"));
  const [store, memory] = await Promise.all([
    startServerProcess(thisFile, ["serve", "store", join(dir, "store.db")]),
    startServerProcess(thisFile, ["serve", "memory"]),
  ]);
  try {
    const products = "/api/vizochok/check-products";
    const a = await compare(
      "(a) products webhook, 10 SKUs: reference store (SQLite + audit log + SQLite replay guard) vs the same router, in-memory handler",
      { name: "reference store", run: () => round({ url: store!.url + products, duration: 2, requests: requestsFrom(signedPool(40_000, productsBody)) }) },
      { name: "in-memory handler", run: () => round({ url: memory!.url + products, duration: 2, requests: requestsFrom(signedPool(60_000, productsBody)) }) },
    );
    console.log(`  target ≥ 0.8× → ${a.ratio >= 0.8 ? "met" : "NOT met"}`);

    const storeAdd = await atFixedRate(`${store!.url}/api/vizochok/cart`, signedPool(4_000, addBody));
    const memoryAdd = await atFixedRate(`${memory!.url}/api/vizochok/cart`, signedPool(4_000, addBody));
    console.log(
      `(b) cart add at a fixed 500 req/s for 6 s, open loop\n` +
        `  reference store: p50 ${storeAdd.p50.toFixed(2)} ms, p99 ${storeAdd.p99.toFixed(2)} ms, max ${storeAdd.max.toFixed(1)} ms\n` +
        `  in-memory handler: p50 ${memoryAdd.p50.toFixed(2)} ms, p99 ${memoryAdd.p99.toFixed(2)} ms, max ${memoryAdd.max.toFixed(1)} ms\n` +
        `  p99 ratio store/in-memory: ${(storeAdd.p99 / memoryAdd.p99).toFixed(2)}× — target p99 ≤ 10 ms → ${storeAdd.p99 <= 10 ? "met" : "NOT met"}`,
    );

    // (c) half products, half adds (each add a new cart), as fast as the store answers.
    const mixed = (amount: number) =>
      round({
        url: store!.url,
        amount,
        connections: 10,
        requests: [
          ...requestsFrom(signedPool(amount / 2, productsBody)).map((r) => ({ ...r, path: products })),
          ...requestsFrom(signedPool(amount / 2, addBody)).map((r) => ({ ...r, path: "/api/vizochok/cart" })),
        ],
      });
    const warm = await mixed(10_000);
    const rss10k = rssMiB(store!);
    const rest = await mixed(90_000);
    const rss100k = rssMiB(store!);
    if (warm.non2xx + rest.non2xx > 0) throw new Error("(c) failed requests — the measurement is invalid");
    const growth = rss100k / rss10k;
    console.log(
      `(c) RSS after 10k requests ${rss10k.toFixed(1)} MiB, after 100k ${rss100k.toFixed(1)} MiB: ${growth.toFixed(2)}× ` +
        `— target no growth beyond caches (≤ 1.25×) → ${growth <= 1.25 ? "met" : "NOT met"}`,
    );
  } finally {
    await Promise.all([store, memory].map((s) => s!.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "serve") {
  serve(process.argv[3] ?? "", process.argv[4] ?? ":memory:");
} else {
  await main();
}
