// WAL checkpoints: the worker-thread checkpointer (PASSIVE every second, wal_autocheckpoint
// 10,000 pages as a fallback) against SQLite's own wal_autocheckpoint at its default 1,000 pages,
// which checkpoints inside whichever commit crosses the threshold. Each round applies 4,000
// distinct signed cart adds through the whole store app over HTTP, one at a time, and reports
// p50/p99/max per request; rounds alternate between the two and the row count is checked after each.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { Agent, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signWebhook, silentLogger } from "vizochok-merchant-kit";
import { createStoreApp } from "../../reference-store/app.js";
import { Catalog, DEFAULT_CATALOG_PATH, loadCatalog } from "../../reference-store/catalog.js";
import { startCheckpointer } from "../../reference-store/checkpointer.js";
import { openDatabase } from "../../reference-store/database.js";
import { BENCH_SECRET } from "./harness.js";

const REQUESTS = 4_000;
const ROUNDS = 3;
const fixture = loadCatalog(DEFAULT_CATALOG_PATH);
const seed = Catalog.parse({ ...fixture, offers: fixture.offers.map((offer) => ({ ...offer, stock: 10_000_000 })) });
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let serial = 0;

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...signWebhook({ secret: BENCH_SECRET, body }) };
    const req = httpRequest({ host: "127.0.0.1", port, path: "/api/vizochok/cart", method: "POST", headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function runRound(variant: "worker" | "autocheckpoint"): Promise<{ p50: number; p99: number; max: number; walBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), "bench-checkpoint-"));
  const path = join(dir, "store.db");
  const db = openDatabase(path);
  if (variant === "autocheckpoint") db.pragma("wal_autocheckpoint = 1000");
  const checkpointer = variant === "worker" ? startCheckpointer({ databasePath: path }) : undefined;
  const storeApp = createStoreApp({ db, secret: BENCH_SECRET, seed, logger: silentLogger });
  const server = await new Promise<Server>((resolve) => {
    const listening = storeApp.app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  const before = db.prepare("SELECT COUNT(*) FROM cart_lines").pluck().get() as number;
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const body = JSON.stringify({ action: "add", store_id: "store-1", session_id: `bench-${serial++}`, sku: "milk-001", quantity: 1 });
    const started = performance.now();
    const status = await post(port, body);
    times.push(performance.now() - started);
    if (status !== 200) throw new Error(`cart add answered ${status}`);
  }
  const added = (db.prepare("SELECT COUNT(*) FROM cart_lines").pluck().get() as number) - before;
  if (added !== REQUESTS) throw new Error(`expected ${REQUESTS} new cart lines, found ${added}`);
  const walBytes = statSync(`${path}-wal`).size;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  agent.destroy();
  await checkpointer?.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 1000) / 1000;
  return { p50: at(0.5), p99: at(0.99), max: at(1), walBytes };
}

const results: Record<string, Array<Awaited<ReturnType<typeof runRound>>>> = { worker: [], autocheckpoint: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of ["worker", "autocheckpoint"] as const) {
    const result = await runRound(variant);
    results[variant]!.push(result);
    console.log(JSON.stringify({ round: round + 1, variant, requests: REQUESTS, ...result }));
  }
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const summary = (variant: string, key: "p50" | "p99" | "max") => median(results[variant]!.map((r) => r[key]));
for (const key of ["p50", "p99", "max"] as const) {
  console.log(`${key}: worker ${summary("worker", key)} ms, autocheckpoint ${summary("autocheckpoint", key)} ms, ratio ${(summary("autocheckpoint", key) / summary("worker", key)).toFixed(2)}`);
}
