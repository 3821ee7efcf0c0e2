// Reference store benchmarks, each against a bare Express 5 route with `express.json()` in the
// same run: (a) products webhook, 10 SKUs, every request a distinct delivery; (b) cart add at a
// fixed 500 req/s, p50/p99; (c) RSS after 100k requests vs after 10k. The store runs as `npm run
// store` does (file database, JSON log lines on stdout), with deep stock so every add succeeds.
// After each round the store's audit rows (one per handler run) are counted against the requests.
// Run with `serve <variant> <database>` this file is the server process for one variant; with
// `load <url> <rate> <seconds> <first serial>` it is the load generator for one fixed-rate round,
// in a process of its own that does nothing else.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, createServer, get as httpGet, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import express from "express";
import { createStoreApp } from "../../reference-store/app.js";
import { Catalog, DEFAULT_CATALOG_PATH, loadCatalog } from "../../reference-store/catalog.js";
import { BENCH_SECRET, compare, countedRound, percentiles, report, signedPool, startServerProcess, type BenchServer, type Percentiles, type SignedRequest } from "./harness.js";

const fixture = loadCatalog(DEFAULT_CATALOG_PATH);
const SKUS = fixture.offers.filter((offer) => offer.store_id === "store-1").map((offer) => offer.sku);
const thisFile = fileURLToPath(import.meta.url);

function serve(variant: string, databasePath: string): void {
  let app = express();
  const counts = { products: 0, cart: 0 };
  // How long the server's event loop was blocked during a round (reset at each read): tells a
  // server-side stall from the client's or the machine's.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  if (variant === "store") {
    // Deep stock, so a long burst of adds keeps reserving.
    const seed = Catalog.parse({ ...fixture, offers: fixture.offers.map((offer) => ({ ...offer, stock: 10_000_000 })) });
    const store = createStoreApp({ databasePath, secret: BENCH_SECRET, seed });
    const countRows = store.db.prepare<[], { kind: string; rows: number }>("SELECT kind, count(*) AS rows FROM webhook_audit GROUP BY kind");
    // The store's own app is the server, as in `npm run store`; the count route comes after its
    // routes. (Mounted inside another app, Express would swap the prototypes of every request and
    // response on the way in and out, a cost the store does not pay on its own.)
    app = store.app;
    app.get("/__bench/counts", (_req, res) => {
      store.audit.flush?.();
      const rows = Object.fromEntries(countRows.all().map((r) => [r.kind, r.rows]));
      res.json({ products: rows.products ?? 0, cart: rows.cart ?? 0, cpuMicros: cpuMicros() });
    });
  } else if (variant === "bare") {
    // What a route costs with no verification, no validation and no database: the floor.
    const answer = { products: SKUS.slice(0, 10).map((sku, i) => ({ sku, price: 10 + i, in_stock: true })) };
    app.get("/__bench/counts", (_req, res) => void res.json({ ...counts, cpuMicros: cpuMicros() }));
    app.post("/api/vizochok/check-products", express.json(), (_req, res) => {
      counts.products++;
      res.json(answer);
    });
    app.post("/api/vizochok/cart", express.json(), (_req, res) => {
      counts.cart++;
      res.json({ ok: true });
    });
  } else {
    throw new Error(`unknown variant "${variant}"`);
  }
  // Each cart POST's time inside the server, from its head parsed to its answer handed to the
  // socket: next to the client's figure, it tells the server's share of the tail from the rest.
  let served: number[] = [];
  app.get("/__bench/loop", (_req, res) => {
    res.json({ p99: loop.percentile(99) / 1e6, max: loop.max / 1e6, served: percentiles(served) });
    loop.reset();
    served = [];
  });
  const server = createServer((request, response) => {
    if (request.method === "POST" && request.url === "/api/vizochok/cart") {
      const started = performance.now();
      response.once("finish", () => served.push(performance.now() - started));
    }
    app(request, response);
  });
  server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
}

/** CPU time this process has used (µs): a round's share divided by its requests is its CPU per request. */
function cpuMicros(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

/**
 * 10 real SKUs per request, a different list every time: start and stride over the catalog's
 * 241 offers (a prime count, so any stride visits 10 distinct SKUs), then either order.
 */
function productsBody(n: number) {
  const count = SKUS.length;
  const start = n % count;
  const stride = 1 + (Math.floor(n / count) % (count - 1));
  const skus = Array.from({ length: 10 }, (_, i) => SKUS[(start + i * stride) % count]!);
  if (Math.floor(n / (count * (count - 1))) % 2 === 1) skus.reverse();
  return { skus, store_id: "store-1" };
}
const addBody = (n: number) => ({ action: "add", store_id: "store-1", session_id: `bench-${n}`, sku: "milk-001", quantity: 1 });

/**
 * Open-loop load: one request every 2 ms whatever the answers do, each on a kept-alive socket, so
 * the latency is what a steady 500 req/s stream sees (autocannon's `overallRate` sends in bursts).
 * Runs in a process of its own (`load`), which signs all its deliveries before the first is sent,
 * so nothing else in the bench shares its event loop. Prints its latencies and its own event-loop
 * delay as one JSON line.
 */
async function generateLoad(url: string, rate: number, seconds: number, firstSerial: number): Promise<void> {
  const total = rate * seconds;
  const pool = signedPool(total, (n) => addBody(firstSerial + n)); // a fresh process: n counts from 0
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(`${url}/api/vizochok/cart`);
  const latencies: number[] = [];
  let failures = 0;
  const send = (signed: SignedRequest) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const request = httpRequest(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: signed.headers },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => {
            if (response.statusCode === 200 && text === '{"ok":true}') latencies.push(performance.now() - started);
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
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (sent < due) inFlight.push(send(pool[sent++]!));
    await sleep(1);
  }
  await Promise.all(inFlight);
  loop.disable();
  agent.destroy();
  console.log(JSON.stringify({ ...percentiles(latencies), failures, loop: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } }));
}

let nextLoadSerial = 0;

/**
 * One fixed-rate round against `server` from a fresh load-generator process. Every answer must be
 * `{"ok":true}` and every add must leave its audit row.
 */
async function atFixedRate(server: BenchServer, rate = 500, seconds = 6) {
  const total = rate * seconds;
  const before = (await server.counts()).cart ?? 0;
  await loopDelay(server);
  // Serials no earlier round used, so every body (each a new shopper) is distinct.
  const firstSerial = 1_000_000_000 + nextLoadSerial;
  nextLoadSerial += total;
  const output = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ["--import", "tsx", thisFile, "load", server.url, String(rate), String(seconds), String(firstSerial)], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
  const client = JSON.parse(output.trim().split("\n").at(-1)!) as Percentiles & { failures: number; loop: { p99: number; max: number } };
  if (client.failures > 0) throw new Error(`${client.failures} of ${total} adds failed or were refused — the measurement is invalid`);
  const added = ((await server.counts()).cart ?? 0) - before;
  if (added !== total || client.count !== total) {
    throw new Error(`${client.count} of ${total} adds answered ok but ${added} were counted — the measurement is invalid`);
  }
  const inServer = await loopDelay(server);
  return { ...client, clientLoop: client.loop, loop: { p99: inServer.p99, max: inServer.max }, served: inServer.served };
}

/** The server's event-loop delay (p99 and max, ms) since the last call. */
function loopDelay(server: BenchServer): Promise<{ p99: number; max: number; served: Percentiles }> {
  // A fresh connection, as for the counts: a kept-alive one may have been closed by the server.
  return new Promise((resolve, reject) => {
    httpGet(`${server.url}/__bench/loop`, { agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve(JSON.parse(text) as { p99: number; max: number; served: Percentiles }));
    }).on("error", reject);
  });
}

function rssMiB(server: BenchServer): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** `BENCH_FIGURES_ONLY=b` (or `a,b`, …) runs only those figures; all three by default. */
const only = new Set((process.env.BENCH_FIGURES_ONLY ?? "a,b,c").split(","));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "store-bench-"));
  const [store, bare] = await Promise.all([
    startServerProcess(thisFile, ["serve", "store", join(dir, "store.db")]),
    startServerProcess(thisFile, ["serve", "bare"]),
  ]);
  const products = "/api/vizochok/check-products";
  const productsRound = (server: BenchServer) => () => countedRound({ url: server.url + products, body: productsBody, server, counter: "products" });
  try {
    if (only.has("a")) await figureA();
    if (only.has("b")) await figureB();
    if (only.has("c")) await figureC();
  } finally {
    await Promise.all([store, bare].map((s) => s!.stop()));
    rmSync(dir, { recursive: true, force: true });
  }

  async function figureA() {
    const a = await compare(
      "(a) products webhook, 10 SKUs, distinct deliveries: reference store (verify, SQLite, audit, log) vs bare express.json() route",
      { name: "reference store", run: productsRound(store!) },
      { name: "bare express.json()", run: productsRound(bare!) },
    );
    report("(a) store products / bare express.json() route", a.ratio, "×", { op: ">=", value: 0.8 });
  }

  async function figureB() {
    // As every figure here: one warm-up round each (the store's cart path, its prepared statements
    // and the load generator all start cold), then three rounds each, alternating, and the median.
    type Round = Awaited<ReturnType<typeof atFixedRate>>;
    const warmUp = { store: await atFixedRate(store!), bare: await atFixedRate(bare!) };
    const rounds: { store: Round[]; bare: Round[] } = { store: [], bare: [] };
    for (let round = 0; round < 3; round++) {
      rounds.store.push(await atFixedRate(store!));
      rounds.bare.push(await atFixedRate(bare!));
    }
    const middle = (side: Round[]) => [...side].sort((x, y) => x.p99 - y.p99)[1]!;
    const storeAdd = middle(rounds.store);
    const bareAdd = middle(rounds.bare);
    const line = (name: string, add: Round) =>
      `  ${name}: p50 ${add.p50.toFixed(2)} ms, p99 ${add.p99.toFixed(2)} ms, max ${add.max.toFixed(1)} ms at the client;` +
      ` inside the server p50 ${add.served.p50.toFixed(2)} ms, p99 ${add.served.p99.toFixed(2)} ms, max ${add.served.max.toFixed(1)} ms` +
      ` (its event loop delayed p99 ${add.loop.p99.toFixed(1)} ms, max ${add.loop.max.toFixed(1)} ms;` +
      ` the client's p99 ${add.clientLoop.p99.toFixed(1)} ms, max ${add.clientLoop.max.toFixed(1)} ms)`;
    const p99s = (side: Round[]) => side.map((r) => r.p99.toFixed(2)).join(", ");
    console.log(
      `(b) cart add at a fixed 500 req/s for 6 s, open loop from a load-generator process of its own, 3,000 distinct adds a round, all ok and counted; ` +
        `one warm-up round each, then three each, alternating (load average ${loadavg()[0]!.toFixed(1)})\n` +
        `  warm-up rounds, not counted: reference store p99 ${warmUp.store.p99.toFixed(2)} ms, bare express.json() p99 ${warmUp.bare.p99.toFixed(2)} ms\n` +
        `  p99 of each round: reference store ${p99s(rounds.store)} ms; bare express.json() ${p99s(rounds.bare)} ms\n` +
        `  the median round of each:\n${line("reference store", storeAdd)}\n${line("bare express.json()", bareAdd)}`,
    );
    report("(b) store cart add p99 at 500 req/s (median of three rounds)", storeAdd.p99, "ms", { op: "<=", value: 10 });
    report("(b) store cart add p99, worst of the three rounds", Math.max(...rounds.store.map((r) => r.p99)), "ms");
    report("(b) store cart add p99 / bare route p99 (medians)", storeAdd.p99 / bareAdd.p99, "×");
    report("(b) store cart add p99 inside the server (median round)", storeAdd.served.p99, "ms");
  }

  async function figureC() {
    // (c) half products, half adds (each add a new cart), as fast as the store answers.
    const mixed = async (amount: number) => {
      await countedRound({ url: store!.url + products, body: productsBody, server: store!, counter: "products", amount: amount / 2 });
      await countedRound({ url: `${store!.url}/api/vizochok/cart`, body: addBody, server: store!, counter: "cart", amount: amount / 2 });
    };
    await mixed(10_000);
    const rss10k = rssMiB(store!);
    await mixed(90_000);
    const rss100k = rssMiB(store!);
    console.log(`(c) RSS after 10k requests ${rss10k.toFixed(1)} MiB, after 100k ${rss100k.toFixed(1)} MiB`);
    report("(c) store RSS after 100k requests / after 10k", rss100k / rss10k, "×", { op: "<=", value: 1.25 });
  }
}

if (process.argv[2] === "serve") {
  serve(process.argv[3] ?? "", process.argv[4] ?? ":memory:");
} else if (process.argv[2] === "load") {
  const [url, rate, seconds, firstSerial] = process.argv.slice(3);
  await generateLoad(url!, Number(rate), Number(seconds), Number(firstSerial));
} else {
  await main();
}
