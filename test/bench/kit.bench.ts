// Kit core benchmarks: (a) Express router vs a bare express.json() route, (b) node:http adapter
// vs a hand-written node:http handler, (c) verifications per second, (d) replay guard memory.
import { fileURLToPath } from "node:url";
import { createMemoryReplayGuard, signWebhook, verifyWebhookSignature } from "vizochok-merchant-kit";
import { BENCH_SECRET, compare, round, startServerProcess } from "./harness.js";

const serverFile = fileURLToPath(new URL("./servers/kit-servers.ts", import.meta.url));
const ROUND_SECONDS = 2;
const POOL_SIZE = 150_000; // more than any variant serves in one round, so no delivery repeats
let serial = 0;

/**
 * A round's worth of distinct, freshly signed requests, made before the round starts: the client
 * then only replays bytes, so the server is what gets measured and the replay guard never
 * short-cuts (every delivery is new).
 */
function signedProductsRound(url: string) {
  const pool = Array.from({ length: POOL_SIZE }, () => {
    const n = serial++;
    const body = JSON.stringify({ skus: Array.from({ length: 10 }, (_, i) => `sku-${n}-${i}`), store_id: "store-1" });
    return { body, headers: { "content-type": "application/json", ...signWebhook({ secret: BENCH_SECRET, body }) } };
  });
  let next = 0;
  return round({
    url,
    duration: ROUND_SECONDS,
    requests: [
      {
        method: "POST",
        setupRequest(request) {
          const signed = pool[next++ % POOL_SIZE]!;
          return { ...request, body: signed.body, headers: signed.headers };
        },
      },
    ],
  });
}

const [kitExpress, bareExpress, kitNode, bareNode] = await Promise.all(
  ["kit-express", "bare-express", "kit-node", "bare-node"].map((v) => startServerProcess(serverFile, [v])),
);
const path = "/api/vizochok/check-products";
try {
  const a = await compare(
    "(a) products webhook, 10 SKUs: kit Express router (verify + validate) vs bare express.json() route (no verification)",
    { name: "kit router", run: () => signedProductsRound(kitExpress!.url + path) },
    { name: "bare express.json()", run: () => signedProductsRound(bareExpress!.url + path) },
  );
  const b = await compare(
    "(b) products webhook, 10 SKUs: kit node:http adapter vs hand-written node:http handler (no verification)",
    { name: "kit node adapter", run: () => signedProductsRound(kitNode!.url + path) },
    { name: "hand-written node:http", run: () => signedProductsRound(bareNode!.url + path) },
  );
  console.log(`  targets: (a) ≥ 1.0× → ${a.ratio >= 1 ? "met" : "NOT met"}, (b) ≥ 0.8× → ${b.ratio >= 0.8 ? "met" : "NOT met"}`);
} finally {
  await Promise.all([kitExpress, bareExpress, kitNode, bareNode].map((s) => s!.stop()));
}

// (c) verifications per second, 1 KB body, one core.
{
  const body = Buffer.from(JSON.stringify({ skus: Array.from({ length: 60 }, (_, i) => `sku-${i}`), store_id: "store-1" }).padEnd(1024, " "));
  const headers = signWebhook({ secret: BENCH_SECRET, body });
  const verify = () => verifyWebhookSignature({ secrets: BENCH_SECRET, headers, rawBody: body });
  for (let i = 0; i < 20_000; i++) verify();
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    let n = 0;
    while (process.hrtime.bigint() - start < 400_000_000n) {
      for (let i = 0; i < 1000; i++) if (!verify().ok) throw new Error("verification failed");
      n += 1000;
    }
    rates.push(n / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  rates.sort((x, y) => x - y);
  const rate = rates[2]!;
  console.log(`(c) verifyWebhookSignature, 1 KB body: ${Math.round(rate).toLocaleString("en")} /s (median of 5) — target ≥ 150,000/s → ${rate >= 150_000 ? "met" : "NOT met"}`);
}

// (d) replay guard memory under many distinct deliveries (default bound: 100,000 entries).
{
  const guard = createMemoryReplayGuard();
  const heap = () => {
    globalThis.gc?.();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };
  const before = heap();
  const report: string[] = [];
  let n = 0;
  for (const target of [100_000, 200_000, 400_000]) {
    for (; n < target; n++) {
      const key = `${1767225600 + (n % 600)}.${n.toString(16).padStart(64, "0")}`;
      guard.begin(key, "/api/vizochok/check-products", Date.now() + 600_000);
      guard.complete(key, { status: 200, body: `{"ok":true}` });
    }
    report.push(`${target.toLocaleString("en")} deliveries → ${guard.size.toLocaleString("en")} entries, +${(heap() - before).toFixed(1)} MiB heap`);
  }
  console.log(`(d) memory replay guard: ${report.join("; ")}`);
}
