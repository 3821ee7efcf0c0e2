// The store on PostgreSQL against the store on SQLite, in one run, and 1, 2 and 4 instances on one
// PostgreSQL database behind one port (STORE_INSTANCES, node:cluster):
// (a) products webhook, 10 SKUs, req/s, PostgreSQL ÷ SQLite (alternating rounds);
// (b) cart add at a fixed 300 req/s, p50/p99, PostgreSQL and SQLite (alternating), each round with
//     what the server saw: its own p99 per add, event-loop delay, GC, pool queue, and the time the
//     store, the PostgreSQL backends and the load generator waited for a core;
// (c) 1, 2, 4 instances: cart adds at a fixed rate; errors, reservation mismatches, p99 against one
//     instance, and CPU per request of every Node instance and of the PostgreSQL backends.
// Every request is distinct (its own body and signature), and after each round the audit rows
// the store wrote are counted against the 2xx answers: a round that did not reach the store fails.
// Run with `serve <sqlite|postgres> <database>`, this file is the server process for one backend.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { Agent, createServer, get as httpGet, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { signWebhook, silentLogger } from "vizochok-merchant-kit";
import { createStoreApp } from "../../reference-store/app.js";
import { Catalog, DEFAULT_CATALOG_PATH, loadCatalog } from "../../reference-store/catalog.js";
import { openDatabase } from "../../reference-store/database.js";
import { createPostgresStoreApp } from "../../reference-store/postgres/app.js";
import { openPool } from "../../reference-store/postgres/database.js";
import { migratePostgres } from "../../reference-store/postgres/migrations.js";
import { seedPostgresCatalog } from "../../reference-store/postgres/seed.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { BENCH_SECRET, median, percentiles, report, startServerProcess, type BenchServer, type Percentiles } from "./harness.js";

const DATABASE_URL = process.env["TEST_DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";
const thisFile = fileURLToPath(import.meta.url);
const MAIN = fileURLToPath(new URL("../../reference-store/main.ts", import.meta.url));

const fixture = loadCatalog(DEFAULT_CATALOG_PATH);
/** The fixture catalog with deep stock, so long bursts of adds keep reserving. */
const DEEP = Catalog.parse({ ...fixture, offers: fixture.offers.map((offer) => ({ ...offer, stock: 10_000_000 })) });
const STORE_1_SKUS = DEEP.offers.filter((offer) => offer.store_id === "store-1").map((offer) => offer.sku);

function serve(backend: string, database: string): void {
  void (async () => {
    const common = { secret: BENCH_SECRET, logger: silentLogger, seed: false as const };
    const built = backend === "sqlite" ? createStoreApp({ ...common, databasePath: database }) : await createPostgresStoreApp({ ...common, databaseUrl: database });
    const { app } = built;
    const pool = "pool" in built ? built.pool : undefined;
    // What the server itself saw during a round (reset at each read of /__bench/loop): each cart
    // POST's time from its head parsed to its answer handed to the socket, its event loop's delay,
    // its GC pauses, and the pool's queue. Next to the client's figures they tell the store's share
    // of the tail from the machine's.
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    let served: number[] = [];
    let servedAt: number[] = [];
    let gc = { count: 0, totalMs: 0, maxMs: 0 };
    let poolWaitingMax = 0;
    let inFlight = 0;
    let inFlightMax = 0;
    let connectionsOpened = 0;
    pool?.on("connect", () => connectionsOpened++);
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        gc.count++;
        gc.totalMs += entry.duration;
        gc.maxMs = Math.max(gc.maxMs, entry.duration);
      }
    }).observe({ entryTypes: ["gc"] });
    const server = createServer((request, response) => {
      if (request.url === "/__bench/loop") {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ p99: loop.percentile(99) / 1e6, max: loop.max / 1e6, served: percentiles(served), bySecond: bySecond(served, servedAt), gc, poolWaitingMax, inFlightMax, connectionsOpened }));
        loop.reset();
        served = [];
        servedAt = [];
        gc = { count: 0, totalMs: 0, maxMs: 0 };
        poolWaitingMax = 0;
        inFlightMax = 0;
        connectionsOpened = 0;
        return;
      }
      if (request.method === "POST" && request.url === "/api/vizochok/cart") {
        const started = performance.now();
        inFlightMax = Math.max(inFlightMax, ++inFlight);
        if (pool !== undefined) poolWaitingMax = Math.max(poolWaitingMax, pool.waitingCount);
        response.once("finish", () => {
          inFlight--;
          served.push(performance.now() - started);
          servedAt.push(started);
        });
      }
      app(request, response);
    });
    server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
  })();
}

/** The slowest answer in each second of the round: a tail spread over the round, or a burst. */
function bySecond(served: number[], at: number[]): number[] {
  const first = at[0] ?? 0;
  const slowest: number[] = [];
  served.forEach((ms, i) => {
    const second = Math.floor((at[i]! - first) / 1000);
    slowest[second] = Math.max(slowest[second] ?? 0, ms);
  });
  return slowest;
}

interface InServer {
  bySecond: number[];
  p99: number;
  max: number;
  served: Percentiles;
  gc: { count: number; totalMs: number; maxMs: number };
  poolWaitingMax: number;
  inFlightMax: number;
  connectionsOpened: number;
}

/** What the server saw since the last call (see `serve`). A fresh connection each time. */
function inServer(server: BenchServer): Promise<InServer> {
  return new Promise((resolve, reject) => {
    httpGet(`${server.url}/__bench/loop`, { agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve(JSON.parse(text) as InServer));
    }).on("error", reject);
  });
}

type Signed = { body: string; headers: Record<string, string> };
let serial = 0;

/** 10 SKUs per request, a different set and order each time: no two bodies (or signatures) alike. */
function productsPool(size: number): Signed[] {
  const seen = new Set<string>();
  const pool: Signed[] = [];
  while (pool.length < size) {
    const n = serial++;
    const skus = Array.from({ length: 10 }, (_, i) => STORE_1_SKUS[(n * 7 + i * (1 + (n % 13))) % STORE_1_SKUS.length]!);
    const raw = JSON.stringify({ skus, store_id: "store-1", n });
    if (seen.has(raw)) continue;
    seen.add(raw);
    pool.push({ body: raw, headers: { "content-type": "application/json", ...signWebhook({ secret: BENCH_SECRET, body: raw }) } });
  }
  return pool;
}

/** Adds from distinct shoppers, spread over the catalog. */
function addPool(size: number): Signed[] {
  return Array.from({ length: size }, () => {
    const n = serial++;
    const raw = JSON.stringify({ action: "add", store_id: "store-1", session_id: `bench-${n}`, sku: STORE_1_SKUS[n % STORE_1_SKUS.length], quantity: 1 });
    return { body: raw, headers: { "content-type": "application/json", ...signWebhook({ secret: BENCH_SECRET, body: raw }) } };
  });
}

function requestsFrom(pool: Signed[]) {
  let next = 0;
  return [
    {
      method: "POST" as const,
      setupRequest(request: object) {
        const signed = pool[next++];
        if (signed === undefined) throw new Error("the pool of distinct requests ran out; make it bigger");
        return { ...request, body: signed.body, headers: signed.headers };
      },
    },
  ];
}

/** Open loop: `rate` requests a second whatever the answers do, on kept-alive sockets. */
async function atFixedRate(url: string, pool: Signed[], rate: number, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(url);
  const latencies: number[] = [];
  let failures = 0;
  const send = (signed: Signed) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const request = httpRequest({ agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: signed.headers }, (response) => {
        response.resume();
        response.on("end", () => {
          if (response.statusCode === 200) latencies.push(performance.now() - started);
          else failures++;
          resolve();
        });
      });
      request.on("error", () => {
        failures++;
        resolve();
      });
      request.end(signed.body);
    });
  const total = rate * seconds;
  if (pool.length < total) throw new Error("the pool of distinct requests is smaller than the round");
  // The load generator's own event-loop delay: a late callback here adds to every latency it reads.
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
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    ok: latencies.length,
    failures,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies[latencies.length - 1] ?? NaN,
    clientLoop: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
  };
}

/** user + system CPU of a process so far, in ms. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at 100 Hz
  } catch {
    return 0;
  }
}

/**
 * Time the threads of a process spent runnable but waiting for a core, so far, in ms
 * (/proc/<pid>/task/<tid>/schedstat, second field, ns): on 2 shared cores, the machine's share.
 */
function runQueueMs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[1]);
    return ns / 1e6;
  } catch {
    return 0;
  }
}

interface Counter {
  /** Audit rows of this kind: one per decision the store made (an add it refused is a decision too). */
  rows(kind: "products" | "cart"): Promise<number>;
}

/**
 * Waits until the store's audit rows grew by `expected` (products rows are written after the
 * answer), or by up to `cutOff` more: requests still in flight when a timed round ends reach the
 * store but not the count of answers.
 */
async function expectRows(counter: Counter, kind: "products" | "cart", before: number, expected: number, label: string, cutOff = 0): Promise<void> {
  for (let waited = 0; ; waited += 50) {
    const grown = (await counter.rows(kind)) - before;
    if (grown >= expected && grown <= expected + cutOff) return;
    if (waited >= 3_000) throw new Error(`${label}: ${expected} answers but ${grown} ${kind} audit rows — the store did not run for every request`);
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const schema = `bench_pg_${process.pid}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = new URL(DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  url.searchParams.set("application_name", schema);
  const pgUrl = url.toString();
  const pool = openPool(pgUrl, { max: 2 });
  await migratePostgres(pool);
  await seedPostgresCatalog(pool, DEEP);

  const dir = mkdtempSync(join(tmpdir(), "pg-bench-"));
  const sqlitePath = join(dir, "store.db");
  const seeded = openDatabase(sqlitePath);
  seedCatalog(seeded, DEEP);
  seeded.close();
  const sqliteReader = new BetterSqlite3(sqlitePath, { readonly: true });

  const pgCounter: Counter = {
    rows: async (kind) => (await pool.query<{ n: number }>("SELECT COUNT(*)::integer AS n FROM webhook_audit WHERE kind = $1 AND outcome IN ('ok', 'rejected')", [kind])).rows[0]!.n,
  };
  const sqliteCounter: Counter = {
    rows: async (kind) => sqliteReader.prepare<[string], number>("SELECT COUNT(*) FROM webhook_audit WHERE kind = ? AND outcome IN ('ok', 'rejected')").pluck().get(kind)!,
  };
  const servers: BenchServer[] = [];
  try {
    const [sqlite, postgres] = await Promise.all([
      startServerProcess(thisFile, ["serve", "sqlite", sqlitePath]),
      startServerProcess(thisFile, ["serve", "postgres", pgUrl]),
    ]);
    servers.push(sqlite!, postgres!);

    // (a) products, alternating rounds of 2 s, medians of 3 after a warm-up each.
    const productsRound = async (server: BenchServer, counter: Counter, label: string) => {
      const before = await counter.rows("products");
      const result = await autocannon({
        url: `${server.url}/api/vizochok/check-products`,
        connections: 10,
        duration: 2,
        requests: requestsFrom(productsPool(40_000)),
      });
      const failed = result.non2xx + result.errors + result.timeouts;
      if (failed > 0) throw new Error(`(a) ${label}: ${failed} failed requests — the measurement is invalid`);
      await expectRows(counter, "products", before, result["2xx"], label, 10);
      return { requestsPerSecond: result.requests.average };
    };
    const pgRounds = [];
    const sqliteRounds = [];
    await productsRound(sqlite!, sqliteCounter, "SQLite warm-up");
    await productsRound(postgres!, pgCounter, "PostgreSQL warm-up");
    for (let i = 0; i < 3; i++) {
      sqliteRounds.push(await productsRound(sqlite!, sqliteCounter, "SQLite"));
      pgRounds.push(await productsRound(postgres!, pgCounter, "PostgreSQL"));
    }
    const pgRps = median(pgRounds.map((r) => r.requestsPerSecond));
    const sqliteRps = median(sqliteRounds.map((r) => r.requestsPerSecond));
    const productsRatio = pgRps / sqliteRps;
    console.log(
      `(a) products webhook, 10 SKUs, every request distinct, 10 connections, medians of 3 alternating 2 s rounds\n` +
        `  SQLite store: ${sqliteRps.toFixed(0)} req/s (rounds ${sqliteRounds.map((r) => r.requestsPerSecond.toFixed(0)).join(", ")})\n` +
        `  PostgreSQL store: ${pgRps.toFixed(0)} req/s (rounds ${pgRounds.map((r) => r.requestsPerSecond.toFixed(0)).join(", ")})\n` +
        `  PostgreSQL ÷ SQLite: ${productsRatio.toFixed(2)}×`,
    );
    report("products req/s, PostgreSQL ÷ SQLite", productsRatio, "×", { op: ">=", value: 0.5 });

    // (b) cart adds at a fixed 300 req/s for 5 s, alternating, two rounds each.
    const addRound = async (server: BenchServer, counter: Counter, label: string) => {
      const before = await counter.rows("cart");
      await inServer(server);
      const backends = server === postgres ? (await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", [schema])).rows.map((r) => r.pid) : [];
      const processes = { server: [server.child.pid!], postgres: backends, load: [process.pid] };
      const waitedBefore = Object.values(processes).map((pids) => pids.map(runQueueMs));
      const result = await atFixedRate(`${server.url}/api/vizochok/cart`, addPool(1_500), 300, 5);
      // A backend the pool closed during the round (idle for 10 s) is gone from /proc: left out.
      const waited = (pids: number[], i: number) => pids.reduce((sum, pid, j) => sum + Math.max(0, runQueueMs(pid) - waitedBefore[i]![j]!), 0);
      const [serverWait, postgresWait, loadWait] = Object.values(processes).map((pids, i) => waited(pids, i) / result.ok);
      const seen = { ...(await inServer(server)), runQueue: { server: serverWait!, postgres: postgresWait!, load: loadWait! } };
      // A 503 (the 4.5 s budget ran out on a saturated machine) commits nothing: no audit row.
      await expectRows(counter, "cart", before, result.ok, label);
      return { ...result, seen };
    };
    const pgAdds = [];
    const sqliteAdds = [];
    for (let i = 0; i < 2; i++) {
      sqliteAdds.push(await addRound(sqlite!, sqliteCounter, "SQLite"));
      pgAdds.push(await addRound(postgres!, pgCounter, "PostgreSQL"));
    }
    const fmt = (rounds: { p50: number; p99: number }[]) =>
      `p50 ${median(rounds.map((r) => r.p50)).toFixed(2)} ms, p99 ${median(rounds.map((r) => r.p99)).toFixed(2)} ms (rounds p99 ${rounds.map((r) => r.p99.toFixed(1)).join(", ")})`;
    const inside = (rounds: { seen: InServer & { runQueue: { server: number; postgres: number; load: number } }; clientLoop: { p99: number; max: number } }[]) =>
      rounds
        .map(
          ({ seen, clientLoop }) =>
            `served p50 ${seen.served.p50.toFixed(2)} / p99 ${seen.served.p99.toFixed(2)} / max ${seen.served.max.toFixed(1)} ms ` +
            `(slowest each second ${seen.bySecond.map((ms) => ms.toFixed(0)).join(", ")} ms); ` +
            `event loop delay p99 ${seen.p99.toFixed(1)} / max ${seen.max.toFixed(1)} ms; GC ${seen.gc.count}× max ${seen.gc.maxMs.toFixed(1)} ms; ` +
            `in flight max ${seen.inFlightMax}, pool queue max ${seen.poolWaitingMax}, connections opened ${seen.connectionsOpened}; client loop delay p99 ${clientLoop.p99.toFixed(1)} / max ${clientLoop.max.toFixed(1)} ms; ` +
            `waiting for a core per add: store ${seen.runQueue.server.toFixed(2)} ms, PostgreSQL backends ${seen.runQueue.postgres.toFixed(2)} ms, load generator ${seen.runQueue.load.toFixed(2)} ms`,
        )
        .map((line) => `\n    ${line}`)
        .join("");
    const pgP99 = median(pgAdds.map((r) => r.p99));
    const pgServedP99 = median(pgAdds.map((r) => r.seen.served.p99));
    console.log(
      `(b) cart add at a fixed 300 req/s, 5 s, open loop, every add a new shopper, alternating rounds (load average ${loadavg()[0]!.toFixed(2)})\n` +
        `  SQLite store: ${fmt(sqliteAdds)}; inside the server, per round:${inside(sqliteAdds)}\n` +
        `  PostgreSQL store: ${fmt(pgAdds)}; inside the server, per round:${inside(pgAdds)}\n` +
        `  p99 PostgreSQL ÷ SQLite: ${(pgP99 / median(sqliteAdds.map((r) => r.p99))).toFixed(2)}×`,
    );
    report("cart add p50 at 300 req/s, PostgreSQL", median(pgAdds.map((r) => r.p50)), "ms");
    report("cart add p99 at 300 req/s, PostgreSQL", pgP99, "ms", { op: "<=", value: 20 });
    report("cart add p99 at 300 req/s, PostgreSQL, inside the server (head parsed to answer written)", pgServedP99, "ms");
    report("cart add p99 at 300 req/s, SQLite", median(sqliteAdds.map((r) => r.p99)), "ms");
    report("cart adds not answered 200 at 300 req/s (both stores)", [...pgAdds, ...sqliteAdds].reduce((n, r) => n + r.failures, 0), "", { op: "<=", value: 0 });
    await Promise.all(servers.splice(0).map((server) => server.stop()));

    // (c) 1, 2 and 4 instances behind one port.
    console.log("(c) N instances on one port (STORE_INSTANCES), cart adds at a fixed 200 req/s for 5 s, every add a new shopper");
    let oneP99 = NaN;
    for (const instances of [1, 2, 4]) {
      const cluster = await startServerProcess(MAIN, [], {
        DATABASE_URL: pgUrl,
        STORE_INSTANCES: String(instances),
        VIZOCHOK_WEBHOOK_SECRET: BENCH_SECRET,
        PORT: "0",
        DATABASE_POOL_SIZE: "8",
      });
      servers.push(cluster);
      const workers = await instancePids(cluster.child.pid!, instances);
      // Warm-up: every instance opens its connections.
      await atFixedRate(`${cluster.url}/api/vizochok/cart`, addPool(400), 200, 2);
      const backends = (await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", [schema])).rows.map((r) => r.pid);
      const nodeBefore = workers.map(cpuMs);
      const pgBefore = backends.reduce((sum, pid) => sum + cpuMs(pid), 0);
      const before = await pgCounter.rows("cart");
      const result = await atFixedRate(`${cluster.url}/api/vizochok/cart`, addPool(1_000), 200, 5);
      await expectRows(pgCounter, "cart", before, result.ok, `${instances} instances`);
      const nodeCpu = workers.map((pid, i) => cpuMs(pid) - nodeBefore[i]!);
      const pgCpu = backends.reduce((sum, pid) => sum + cpuMs(pid), 0) - pgBefore;
      const mismatches = (await pool.query(`
        SELECT s.sku FROM stock s LEFT JOIN carts c ON c.store_id = s.store_id LEFT JOIN cart_lines l ON l.cart_id = c.cart_id AND l.sku = s.sku
        GROUP BY s.store_id, s.sku HAVING s.reserved_milli != COALESCE(SUM(l.quantity_milli), 0)`)).rowCount;
      if (instances === 1) oneP99 = result.p99;
      const perRequest = (ms: number) => (ms / result.ok).toFixed(2);
      console.log(
        `  ${instances} instance${instances === 1 ? "" : "s"}: ${result.ok} ok, ${result.failures} errors, ${mismatches} reservation mismatches; ` +
          `p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms (${(result.p99 / oneP99).toFixed(2)}× one instance)\n` +
          `    CPU per add: Node ${nodeCpu.map(perRequest).join(" + ")} ms = ${perRequest(nodeCpu.reduce((a, b) => a + b, 0))} ms, ` +
          `PostgreSQL backends ${perRequest(pgCpu)} ms`,
      );
      report(`${instances} instances: errors + reservation mismatches`, result.failures + (mismatches ?? 0), "", { op: "<=", value: 0 });
      report(`${instances} instances: cart add p99 ÷ one instance`, result.p99 / oneP99, "×");
      if (instances === 4) {
        const node = nodeCpu.reduce((a, b) => a + b, 0) / result.ok;
        const db = pgCpu / result.ok;
        console.log(
          `  projection: an add costs ~${node.toFixed(2)} ms of Node CPU and ~${db.toFixed(2)} ms of PostgreSQL CPU, so 2 shared cores ` +
            `top out near ${(2_000 / (node + db)).toFixed(0)} adds/s whatever the instance count; with PostgreSQL on its own machine each ` +
            `Node core adds ~${(1_000 / node).toFixed(0)} adds/s and one PostgreSQL core carries ~${(1_000 / db).toFixed(0)} adds/s (a projection from CPU per request, not a measurement)`,
        );
      }
      await cluster.stop();
      servers.splice(servers.indexOf(cluster), 1);
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    sqliteReader.close();
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The instances a `STORE_INSTANCES` primary forked (its children), once all of them are up. */
async function instancePids(primary: number, count: number): Promise<number[]> {
  // One instance runs in the process itself; more are its node:cluster children.
  if (count === 1) return [primary];
  for (let waited = 0; waited < 60_000; waited += 200) {
    const children = readFileSync(`/proc/${primary}/task/${primary}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    if (children.length === count) return children;
    await sleep(200);
  }
  throw new Error(`expected ${count} instances under ${primary}`);
}

if (process.argv[2] === "serve") {
  serve(process.argv[3] ?? "", process.argv[4] ?? "");
} else {
  await main();
}
