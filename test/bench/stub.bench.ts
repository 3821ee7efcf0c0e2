// `npm run bench -- stub`: widget clients run a scripted conversation against the stub and the
// reference store. Three processes, so the load generator never shares an event loop with what
// it measures: this one (the clients), the stub (`--role stub`) and the store (`--role store`),
// talking over loopback. Reports turns/s, p50/p99 turn latency, where a search turn's time goes
// (search index, products webhook, agent, framing and queueing), CPU per process, and a sweep
// over the number of clients. Baseline: the same clients talking to an agent that only echoes.
// `BENCH_PROFILE=dir` writes a `--cpu-prof` profile of the stub and the store into `dir`.
// `BENCH_CALLGRIND=1` instead counts the stub's CPU instructions per turn under valgrind's
// callgrind (one warm-up run, one counted run at BENCH_CLIENTS, both checked like every run):
// a figure that moves far less with the machine's other load than CPU time does.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { silentLogger } from "vizochok-merchant-kit";
import {
  createScriptedAgent,
  createVizochokStub,
  createWidgetClient,
  type Agent,
  type TenantConfig,
  type WebhookDelivery,
  type WidgetClient,
} from "vizochok-merchant-kit/testing";
import { createStoreApp } from "../../reference-store/app.js";
import { Catalog, DEFAULT_CATALOG_PATH, loadCatalog } from "../../reference-store/catalog.js";
import { catalog, recipes } from "../stub/harness.js";
import { callgrindControl, callgrindTotal, hasValgrind } from "./callgrind-tools.js";
import { median, report } from "./harness.js";

const SECRET = "whsec_bench_stub";
const SCRIPT = ["show me milk", "add 1 of the first one", "do you have oat milk?", "what's in my cart?", "clear my cart"];
const SEARCH = SCRIPT[0]!;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SWEEP = [1, 5, 10, 20, 30, CLIENTS].filter((n, i, all) => all.indexOf(n) === i).sort((a, b) => a - b);
const MAX_CLIENTS = Math.max(...SWEEP);
const CORES = availableParallelism();
const here = fileURLToPath(import.meta.url);

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

/** What the stub measured for one turn, from the agent's start to its last frame. */
interface ServerTurn {
  text: string;
  agentMs: number;
  /** The search tool: index, signing, the products webhook, parsing. */
  searchMs: number;
}

/** CPU seconds and event-loop utilisation of one process over the measured window. */
interface ProcessLoad {
  cpuMs: number;
  elu: number;
}

type ToChild = { type: "start" } | { type: "stats" } | { type: "exit" };
interface Deliveries {
  products: number[];
  cart: number[];
  /** Attempts that did not end "ok", described. */
  failed: string[];
}

/** Store handler runs, one audit row each. */
interface Handled {
  products: number;
  cart: number;
}

type FromChild =
  | { type: "ready"; port: number }
  | { type: "started" }
  | { type: "stats"; load: ProcessLoad; turns: ServerTurn[]; deliveries: Deliveries; handled: Handled };

// ---------------------------------------------------------------- child processes

function measureLoad() {
  let cpu = process.cpuUsage();
  let elu = performance.eventLoopUtilization();
  return {
    reset() {
      cpu = process.cpuUsage();
      elu = performance.eventLoopUtilization();
    },
    read(): ProcessLoad {
      const used = process.cpuUsage(cpu);
      return { cpuMs: (used.user + used.system) / 1000, elu: performance.eventLoopUtilization(elu).utilization };
    },
  };
}

function serveChild(
  port: number,
  close: () => Promise<void>,
  turns: ServerTurn[] = [],
  deliveries: Deliveries = { products: [], cart: [], failed: [] },
  handled: () => Handled = () => ({ products: 0, cart: 0 }),
): void {
  const load = measureLoad();
  let handledAtStart = handled();
  process.on("message", (message: ToChild) => {
    if (message.type === "start") {
      handledAtStart = handled();
      load.reset();
      turns.length = 0;
      deliveries.products.length = 0;
      deliveries.cart.length = 0;
      deliveries.failed.length = 0;
      process.send!({ type: "started" } satisfies FromChild);
    } else if (message.type === "stats") {
      const taken = { products: deliveries.products.splice(0), cart: deliveries.cart.splice(0), failed: deliveries.failed.splice(0) };
      const now = handled();
      const ran = { products: now.products - handledAtStart.products, cart: now.cart - handledAtStart.cart };
      process.send!({ type: "stats", load: load.read(), turns: turns.splice(0), deliveries: taken, handled: ran } satisfies FromChild);
    } else {
      // A normal exit, so --cpu-prof writes its profile.
      void close().then(() => process.exit(0));
    }
  });
  process.send!({ type: "ready", port } satisfies FromChild);
}

async function storeChild(): Promise<void> {
  // Deep stock: every add of every round succeeds, so each one is a real reservation.
  const fixture = loadCatalog(DEFAULT_CATALOG_PATH);
  const seed = Catalog.parse({ ...fixture, offers: fixture.offers.map((offer) => ({ ...offer, stock: 10_000_000 })) });
  const store = createStoreApp({ databasePath: ":memory:", secret: SECRET, logger: silentLogger, seed });
  const countRows = store.db.prepare<[], { kind: string; rows: number }>("SELECT kind, count(*) AS rows FROM webhook_audit GROUP BY kind");
  const handled = (): Handled => {
    store.audit.flush?.();
    const rows = Object.fromEntries(countRows.all().map((r) => [r.kind, r.rows]));
    return { products: rows.products ?? 0, cart: rows.cart ?? 0 };
  };
  const server: Server = store.app.listen(0, "127.0.0.1");
  await once(server, "listening");
  serveChild(
    (server.address() as AddressInfo).port,
    async () => {
      server.closeAllConnections();
      server.close();
      await store.close();
    },
    undefined,
    undefined,
    handled,
  );
}

const echo: Agent = {
  async respond({ reply }) {
    reply.say("echo echo echo echo echo echo");
  },
};

/** Times each turn of `agent` and its search tool. */
function timedAgent(agent: Agent, turns: ServerTurn[]): Agent {
  return {
    async respond(turn) {
      const text = turn.input.type === "message" ? turn.input.text : turn.input.type;
      const record: ServerTurn = { text, agentMs: 0, searchMs: 0 };
      const search = turn.tools.search;
      // The turn's tools with a timed search, as a copy: an Object.create(turn.tools) on top of
      // them made each turn's tools a prototype, which V8 reshapes (~4 µs a turn, 1.7 % of the
      // stub's CPU in a profile) where copying ten properties takes a tenth of that.
      const tools: typeof turn.tools = {
        ...turn.tools,
        search: async (query, limit) => {
          const t0 = performance.now();
          try {
            return await search(query, limit);
          } finally {
            record.searchMs += performance.now() - t0;
          }
        },
      };
      const t0 = performance.now();
      await agent.respond({ input: turn.input, conversation: turn.conversation, tools, reply: turn.reply, get signal() { return turn.signal; } });
      record.agentMs = performance.now() - t0;
      turns.push(record);
    },
  };
}

async function stubChild(storeUrl: string): Promise<void> {
  const base = `${storeUrl}/api/vizochok`;
  const turns: ServerTurn[] = [];
  const deliveries: Deliveries = { products: [], cart: [], failed: [] };
  const limits = { connectionsPerKey: MAX_CLIENTS, messagesPerWindow: 1e9, userMessagesPerDay: 1e9, userConversationsPerDay: 1e9 };
  const tenant = (id: string): TenantConfig => ({
    id,
    publicKey: `pk_${id}`,
    secretKey: `sk_${id}`,
    stores: ["store-1"],
    webhooks: { products_url: `${base}/check-products`, cart_url: `${base}/cart`, cart_get_url: `${base}/cart/items`, secret: SECRET },
    catalog: catalog.products,
    limits,
  });
  const scripted = timedAgent(createScriptedAgent({ recipes }), turns);
  const echoing = timedAgent(echo, turns);
  const stub = await createVizochokStub({
    tenants: [tenant("bench"), tenant("echo")],
    agent: ({ id }) => (id === "echo" ? echoing : scripted),
    maxDeliveries: 1,
    onDelivery(delivery: WebhookDelivery) {
      if (delivery.kind === "products" || delivery.kind === "cart") deliveries[delivery.kind].push(delivery.latencyMs);
      if (delivery.outcome !== "ok") {
        const answer = delivery.response === undefined ? delivery.error : `${delivery.response.status} ${delivery.response.rawBody.slice(0, 200)}`;
        deliveries.failed.push(`${delivery.kind} attempt ${delivery.attempt} after ${delivery.latencyMs} ms: ${delivery.outcome} (${answer})`);
      }
    },
  });
  serveChild(stub.port, () => stub.close(), turns, deliveries);
}

// ---------------------------------------------------------------- the load generator

interface Child {
  port: number;
  pid: number;
  stats(): Promise<Extract<FromChild, { type: "stats" }>>;
  /** Resets the child's counters; resolves once it has, so no request of the run is counted as before it. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** With `callgrind` (an output file), the child runs under valgrind with counting off. */
async function startChild(args: string[], callgrind?: string): Promise<Child> {
  const profile = process.env.BENCH_PROFILE;
  const execArgv = ["--import", "tsx", ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [])];
  const stdio: ["ignore", "inherit", "inherit", "ipc"] = ["ignore", "inherit", "inherit", "ipc"];
  const child: ChildProcess =
    callgrind === undefined
      ? fork(here, args, { execArgv, stdio })
      : spawn("valgrind", ["--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes", `--callgrind-out-file=${callgrind}`, process.execPath, ...execArgv, here, ...args], {
          stdio,
        });
  let waiting: { resolve(message: FromChild): void; reject(error: Error): void } | undefined;
  child.on("message", (message) => waiting?.resolve(message as FromChild));
  child.on("exit", (code) => waiting?.reject(new Error(`${args.join(" ")} exited with ${code}`)));
  const next = () => new Promise<FromChild>((resolve, reject) => (waiting = { resolve, reject }));
  const ready = await next();
  if (ready.type !== "ready") throw new Error(`${args.join(" ")}: expected ready`);
  return {
    port: ready.port,
    pid: child.pid!,
    async start() {
      const answer = next();
      child.send({ type: "start" } satisfies ToChild);
      if ((await answer).type !== "started") throw new Error(`${args.join(" ")}: expected started`);
    },
    async stats() {
      const answer = next();
      child.send({ type: "stats" } satisfies ToChild);
      const stats = await answer;
      if (stats.type !== "stats") throw new Error(`${args.join(" ")}: expected stats`);
      return stats;
    },
    async stop() {
      const exited = once(child, "exit");
      child.send({ type: "exit" } satisfies ToChild);
      await exited;
    },
  };
}

interface RunResult {
  label: string;
  clients: number;
  turns: number;
  turnsPerSecond: number;
  p50: number;
  p99: number;
  search50: number;
  server: ServerTurn[];
  deliveries: Deliveries;
  load: { clients: ProcessLoad; stub: ProcessLoad; store: ProcessLoad; seconds: number };
}

let runs = 0;

async function run(label: string, key: string, clientCount: number, stub: Child, store: Child): Promise<RunResult> {
  const run = runs++;
  // About 3,000 turns a run (at least 600): short runs swing with whatever else the machine is doing.
  const rounds = Math.max(12, Math.ceil(3000 / (clientCount * SCRIPT.length)));
  const wsUrl = `ws://127.0.0.1:${stub.port}/api/v1/ws/chat`;
  // Each round is a new shopper (a new cart session): the same shopper's "clear my cart" twice in
  // one second would be one identical signed delivery, answered by the replay guard, not the store.
  const shopper = (i: number, round: number) =>
    createWidgetClient({ url: wsUrl, publicKey: key, storeId: "store-1", userId: `bench-${run}-${i}-${round}` });
  const clients: WidgetClient[] = Array.from({ length: clientCount }, (_, i) => shopper(i, 0));
  await Promise.all(clients.map((c) => c.connect()));
  const turns: Array<{ text: string; ms: number }> = [];
  // Both children reset before the first frame: the IPC message and the first webhooks travel on
  // different sockets, so without the wait the store could handle a run's first products
  // deliveries before its reset and leave them out of its count.
  await Promise.all([stub.start(), store.start()]);
  const load = measureLoad();
  const started = performance.now();
  await Promise.all(
    clients.map(async (first, i) => {
      let client = first;
      for (let round = 0; round < rounds; round++) {
        if (round > 0) {
          await client.close();
          client = shopper(i, round);
          clients[i] = client;
          await client.connect();
        }
        for (const text of SCRIPT) {
          const t0 = performance.now();
          const frames = await client.send(text);
          if (frames.at(-1)?.type !== "response_complete") throw new Error(`${label}: "${text}" ended with ${JSON.stringify(frames.at(-1))}`);
          turns.push({ text, ms: performance.now() - t0 });
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const ownLoad = load.read();
  const [stubStats, storeStats] = await Promise.all([stub.stats(), store.stats()]);
  await Promise.all(clients.map((c) => c.close()));
  const all = turns.map((t) => t.ms);
  if (key === "pk_bench") {
    const sent = { products: stubStats.deliveries.products.length, cart: stubStats.deliveries.cart.length };
    const ran = storeStats.handled;
    const failed = stubStats.deliveries.failed;
    if (sent.products === 0 || ran.products !== sent.products || ran.cart !== sent.cart || failed.length > 0) {
      throw new Error(
        `${label}: the stub sent ${sent.products} products and ${sent.cart} cart deliveries, the store ran its handlers ` +
          `${ran.products} and ${ran.cart} times, ${failed.length} attempt(s) failed — the run did not measure what it names` +
          failed.slice(0, 20).map((f) => `\n  ${f}`).join(""),
      );
    }
  }
  return {
    label,
    clients: clientCount,
    turns: turns.length,
    turnsPerSecond: turns.length / seconds,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    search50: median(turns.filter((t) => t.text === SEARCH).map((t) => t.ms)),
    server: stubStats.turns,
    deliveries: stubStats.deliveries,
    load: { clients: ownLoad, stub: stubStats.load, store: storeStats.load, seconds },
  };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const pct = (value: number) => `${(value * 100).toFixed(0)}%`;

function printRun(r: RunResult): void {
  const { clients, stub, store, seconds } = r.load;
  const cores = (clients.cpuMs + stub.cpuMs + store.cpuMs) / (seconds * 1000);
  console.log(
    `${r.label}, ${r.clients} client(s) × ${r.turns / r.clients} turns\n` +
      `  ${r.turnsPerSecond.toFixed(0)} turns/s, turn p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, search turn p50 ${ms(r.search50)}\n` +
      `  CPU per turn: clients ${ms(clients.cpuMs / r.turns)}, stub ${ms(stub.cpuMs / r.turns)}, store ${ms(store.cpuMs / r.turns)}` +
      ` — ${cores.toFixed(2)} of ${CORES} cores busy; event loop busy: stub ${pct(stub.elu)}, store ${pct(store.elu)}, clients ${pct(clients.elu)}`,
  );
}

function printBreakdown(r: RunResult): void {
  const server = r.server.filter((t) => t.text === SEARCH);
  const agent = median(server.map((t) => t.agentMs));
  const search = median(server.map((t) => t.searchMs));
  const products = median(r.deliveries.products);
  console.log(
    `  ${String(r.clients).padStart(2)} client(s): ${ms(r.search50)} at the client = products webhook round trip ${ms(products)}` +
      ` + index, signing, parsing, cards ${ms(Math.max(0, search - products))} + rest of the agent ${ms(Math.max(0, agent - search))}` +
      ` + framing, WebSocket and queueing ${ms(Math.max(0, r.search50 - agent))}`,
  );
}

// The index alone, no I/O: what ranking costs per query. Trailing spaces give every query its own
// cache key (ranking ignores them), so this measures ranking, not the index's answer cache.
async function searchOnly(): Promise<number> {
  const stub = await createVizochokStub({
    tenants: [{ id: "s", publicKey: "pk_s", secretKey: "sk_s", stores: ["x"], webhooks: { products_url: "http://127.0.0.1:9/", secret: "whsec_s" }, catalog: catalog.products }],
  });
  const tools = stub.tools("s");
  for (let i = 0; i < 200; i++) tools.rankCatalog(`milk${" ".repeat(i)}`);
  const t0 = performance.now();
  const n = 2000;
  for (let i = 0; i < n; i++) tools.rankCatalog(["milk", "oat milk", "lactl milk", "moloko", "pringls"][i % 5]! + " ".repeat(i));
  await stub.close();
  return (performance.now() - t0) / n;
}

/**
 * Instructions the stub executes per turn: a warm-up run, then one run counted (each checked
 * against the store's handler runs like every run). Main thread alone and all threads: V8's
 * background compiling and GC follow wall time, so the main thread's count is the steadier one.
 */
async function countInstructions(): Promise<void> {
  if (!hasValgrind()) throw new Error("BENCH_CALLGRIND needs valgrind");
  const out = join(tmpdir(), `callgrind-stub-${process.pid}.out`);
  const store = await startChild(["--role", "store"]);
  const stub = await startChild(["--role", "stub", `http://127.0.0.1:${store.port}`], out);
  let counted: RunResult;
  try {
    await run("warm-up", "pk_bench", CLIENTS, stub, store);
    callgrindControl(stub.pid, "on");
    counted = await run("counted", "pk_bench", CLIENTS, stub, store);
    callgrindControl(stub.pid, "off");
  } finally {
    await Promise.all([stub.stop(), store.stop()]);
  }
  const files = readdirSync(dirname(out))
    .filter((f) => f.startsWith(basename(out)))
    .map((f) => join(dirname(out), f));
  const perThread = files.map((f) => ({ main: f.endsWith("-01"), total: callgrindTotal(f) }));
  for (const f of files) rmSync(f, { force: true });
  const main = perThread.find((t) => t.main)?.total ?? 0;
  const all = perThread.reduce((sum, t) => sum + t.total, 0);
  if (main === 0) throw new Error("callgrind counted no instructions on the stub's main thread");
  printRun(counted);
  const { products, cart } = counted.deliveries;
  console.log(`counted run: ${counted.turns} turns, ${products.length} products and ${cart.length} cart deliveries, each one handled by the store`);
  report(`stub instructions per turn at ${CLIENTS} clients, main thread`, main / counted.turns, "instructions");
  report(`stub instructions per turn at ${CLIENTS} clients, all threads`, all / counted.turns, "instructions");
}

async function main(): Promise<void> {
  const store = await startChild(["--role", "store"]);
  const stub = await startChild(["--role", "stub", `http://127.0.0.1:${store.port}`]);
  try {
    await run("warm-up", "pk_bench", CLIENTS, stub, store);
    await run("warm-up", "pk_echo", CLIENTS, stub, store);
    const baseline = await run("echo agent (framing only)", "pk_echo", CLIENTS, stub, store);
    const sweep: RunResult[] = [];
    for (const clients of SWEEP) sweep.push(await run("scripted agent + reference store", "pk_bench", clients, stub, store));
    // The headline run twice more: other load on the machine moves single runs by several ms.
    const repeats = [sweep.find((r) => r.clients === CLIENTS)!];
    for (let i = 0; i < 2; i++) repeats.push(await run("scripted agent + reference store", "pk_bench", CLIENTS, stub, store));
    const scripted = [...repeats].sort((a, b) => a.search50 - b.search50)[1]!;
    sweep[sweep.indexOf(repeats[0]!)] = scripted;
    const indexMs = await searchOnly();

    printRun(baseline);
    for (const r of sweep) printRun(r);
    console.log(`search turn ("${SEARCH}") medians at ${CLIENTS} clients over three runs: ${repeats.map((r) => ms(r.search50)).join(", ")}; the middle one is shown`);
    console.log(`where a search turn's time goes (medians; ranking alone costs ${ms(indexMs)} uncached, repeated queries come from the index's cache):`);
    for (const r of sweep) printBreakdown(r);
    const cart = median(scripted.deliveries.cart);
    console.log(`cart webhook round trip median at ${CLIENTS} clients: ${ms(cart)}`);
    const within = sweep.filter((r) => r.search50 <= 10).at(-1);
    console.log(
      `largest measured concurrency with a search turn median ≤ 10 ms: ${within === undefined ? "none" : `${within.clients} client(s) (${ms(within.search50)})`}`,
    );
    console.log(
      `ratio: scripted turn p50 / echo turn p50 = ${(scripted.p50 / baseline.p50).toFixed(2)}×; turns/s ratio ${(scripted.turnsPerSecond / baseline.turnsPerSecond).toFixed(2)}×`,
    );
    // All from the run whose search median is shown. With every client always mid-turn (no
    // pause between turns), n clients on c cores cannot make the mean turn shorter than
    // n × (CPU per turn of all three processes) / c: the CPU bound.
    const { clients, stub: stubLoad, store: storeLoad, seconds } = scripted.load;
    const cpuMs = clients.cpuMs + stubLoad.cpuMs + storeLoad.cpuMs;
    const cpuPerTurn = cpuMs / scripted.turns;
    const bound = (CLIENTS * cpuPerTurn) / CORES;
    console.log(
      `CPU per turn at ${CLIENTS} clients: clients ${ms(clients.cpuMs / scripted.turns)} + stub ${ms(stubLoad.cpuMs / scripted.turns)}` +
        ` + store ${ms(storeLoad.cpuMs / scripted.turns)} = ${ms(cpuPerTurn)}; ${CORES} cores; load average ${loadavg()[0]!.toFixed(1)} now`,
    );
    const searchFigure = report(`search turn median at ${CLIENTS} clients`, scripted.search50, "ms", { op: "<=", value: 10 });
    // Met: this CPU per turn leaves room for a 10 ms turn; not met: the cores alone rule it out.
    const boundFigure = report(`CPU bound on the mean turn at ${CLIENTS} clients (${CLIENTS} × CPU per turn of all three processes / ${CORES} cores)`, bound, "ms", {
      op: "<=",
      value: 10,
    });
    report(`mean turn at ${CLIENTS} clients`, (seconds * 1000 * CLIENTS) / scripted.turns, "ms");
    report(`cores busy during that run (of ${CORES})`, cpuMs / (seconds * 1000), "cores");
    console.log(
      searchFigure.met
        ? `goal: search turn median ≤ 10 ms at ${CLIENTS} clients — met`
        : boundFigure.met
          ? `goal: search turn median ≤ 10 ms at ${CLIENTS} clients — NOT met, and not for lack of cores: this CPU per turn allows a ${ms(bound)} mean turn (the processes waited for the cores other work held, or for each other)`
          : `goal: search turn median ≤ 10 ms at ${CLIENTS} clients — NOT met; the cores are the bound: this CPU per turn allows no mean turn under ${ms(bound)} on ${CORES} cores`,
    );
  } finally {
    await Promise.all([stub.stop(), store.stop()]);
  }
}

const role = process.argv[process.argv.indexOf("--role") + 1];
if (process.argv.includes("--role") && role === "store") await storeChild();
else if (process.argv.includes("--role") && role === "stub") await stubChild(process.argv[process.argv.indexOf("--role") + 2]!);
else if (process.env.BENCH_CALLGRIND) await countInstructions();
else await main();
