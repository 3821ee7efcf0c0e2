// `npm run bench -- stub`: 50 concurrent widget clients run a scripted conversation against the
// stub and the reference store (the store in its own process, over loopback). Reports turns/s, p50/p99
// turn latency, and where a search turn's time goes: search index, products webhook, framing.
// Baseline: the same clients talking to an agent that only echoes (no search, no webhook).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { silentLogger } from "vizochok-merchant-kit";
import {
  createScriptedAgent,
  createVizochokStub,
  createWidgetClient,
  type Agent,
  type TenantConfig,
  type VizochokStub,
} from "vizochok-merchant-kit/testing";
import { createStoreApp } from "../../reference-store/app.js";
import { catalog, recipes } from "../stub/harness.js";
import { median, startServerProcess } from "./harness.js";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const ROUNDS = 4;
const SCRIPT = ["show me milk", "add 1 of the first one", "do you have oat milk?", "what's in my cart?", "clear my cart"];
const SECRET = "whsec_bench_stub";

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

async function run(label: string, agent: Agent) {
  const store = await startServerProcess(new URL(import.meta.url).pathname, ["--store-child"]);
  const base = `${store.url}/api/vizochok`;
  const tenant: TenantConfig = {
    id: "bench",
    publicKey: "pk_bench",
    secretKey: "sk_bench",
    stores: ["store-1"],
    webhooks: { products_url: `${base}/check-products`, cart_url: `${base}/cart`, cart_get_url: `${base}/cart/items`, secret: SECRET },
    catalog: catalog.products,
    limits: { connectionsPerKey: CLIENTS, messagesPerWindow: 1e9, userMessagesPerDay: 1e9, userConversationsPerDay: 1e9 },
  };
  const stub: VizochokStub = await createVizochokStub({ tenants: [tenant], agent });
  const turns: Array<{ text: string; ms: number }> = [];
  const clients = Array.from({ length: CLIENTS }, (_, i) =>
    createWidgetClient({ url: stub.wsUrl, publicKey: "pk_bench", storeId: "store-1", userId: `bench-${i}` }),
  );
  await Promise.all(clients.map((c) => c.connect()));
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      for (let round = 0; round < ROUNDS; round++) {
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
  const products = stub.deliveries.filter((d) => d.kind === "products").map((d) => d.latencyMs);
  const cart = stub.deliveries.filter((d) => d.kind === "cart").map((d) => d.latencyMs);
  await Promise.all(clients.map((c) => c.close()));
  await stub.close();
  await store.stop();
  const all = turns.map((t) => t.ms);
  const search = turns.filter((t) => t.text === "show me milk").map((t) => t.ms);
  return { label, turnsPerSecond: turns.length / seconds, p50: percentile(all, 50), p99: percentile(all, 99), search50: median(search), products50: products.length ? median(products) : 0, cart50: cart.length ? median(cart) : 0 };
}

const echo: Agent = {
  async respond({ reply }) {
    reply.say("echo echo echo echo echo echo");
  },
};

// Index alone, no I/O: what the search arm costs per query.
async function searchOnly(): Promise<number> {
  const stub = await createVizochokStub({
    tenants: [{ id: "s", publicKey: "pk_s", secretKey: "sk_s", stores: ["x"], webhooks: { products_url: "http://127.0.0.1:9/", secret: "whsec_s" }, catalog: catalog.products }],
  });
  const tools = stub.tools("s");
  for (let i = 0; i < 200; i++) tools.rankCatalog("milk");
  const t0 = performance.now();
  const n = 2000;
  for (let i = 0; i < n; i++) tools.rankCatalog(["milk", "oat milk", "lactl milk", "moloko", "pringls"][i % 5]!);
  await stub.close();
  return (performance.now() - t0) / n;
}

async function main() {
await run("warm-up", createScriptedAgent({ recipes }));
const baseline = await run("echo agent (framing only)", echo);
const scripted = await run("scripted agent + reference store", createScriptedAgent({ recipes }));
const indexMs = await searchOnly();

for (const r of [baseline, scripted]) {
  console.log(`${r.label}\n  ${r.turnsPerSecond.toFixed(0)} turns/s, turn p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (${CLIENTS} clients × ${ROUNDS * SCRIPT.length} turns)`);
}
const framing = Math.max(0, scripted.search50 - indexMs - scripted.products50);
console.log(
  `search turn ("show me milk") median ${scripted.search50.toFixed(2)} ms (target ≤ 15 ms): ` +
    `index ${indexMs.toFixed(2)} ms + products webhook ${scripted.products50.toFixed(2)} ms + framing/agent/queueing ${framing.toFixed(2)} ms`,
);
console.log(`cart webhook median ${scripted.cart50.toFixed(2)} ms`);
console.log(`ratio: scripted turn p50 / echo turn p50 = ${(scripted.p50 / baseline.p50).toFixed(2)}×; turns/s ratio ${(scripted.turnsPerSecond / baseline.turnsPerSecond).toFixed(2)}×`);
}

// Child mode: serve the reference store and print its port for the parent.
if (process.argv.includes("--store-child")) {
  const store = createStoreApp({ databasePath: ":memory:", secret: SECRET, logger: silentLogger });
  const server: Server = store.app.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
  process.on("SIGTERM", () => process.exit(0));
} else {
  await main();
}
