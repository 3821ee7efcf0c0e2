// Instructions per products request of one server of reference-store.bench.ts, counted by
// callgrind: `node --import tsx test/bench/store-instructions.ts store|bare`. The server runs under
// valgrind with counting off; after 3,000 distinct 10-SKU requests to warm up, counting is on for
// 2,000 more (batches of 500, each checked against the server's own count), then off. It prints
// the instructions per request of all threads and of the event-loop thread alone (V8's background
// threads do work that follows wall time, so only the second is steady under other load). Each
// batch's count request (the store's `GROUP BY` over its audit rows) is counted with it.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { get as httpGet } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { DEFAULT_CATALOG_PATH, loadCatalog } from "../../reference-store/catalog.js";
import { callgrindControl, callgrindTotal, hasValgrind } from "./callgrind-tools.js";
import { countedRound, type BenchServer } from "./harness.js";

const WARM_UP = 3_000;
const MEASURED = 2_000;
const BATCH = 500;
const variant = process.argv[2] ?? "store";
const benchFile = fileURLToPath(new URL("./reference-store.bench.ts", import.meta.url));
const SKUS = loadCatalog(DEFAULT_CATALOG_PATH)
  .offers.filter((offer) => offer.store_id === "store-1")
  .map((offer) => offer.sku);
/** 10 real SKUs, a different list every time (start and stride over the 241 offers, as the bench). */
const productsBody = (n: number) => {
  const stride = 1 + (Math.floor(n / SKUS.length) % (SKUS.length - 1));
  return { skus: Array.from({ length: 10 }, (_, i) => SKUS[(n + i * stride) % SKUS.length]!), store_id: "store-1" };
};

if (!hasValgrind()) throw new Error("valgrind is not installed");
const dir = mkdtempSync(join(tmpdir(), "store-instructions-"));
const out = join(dir, "callgrind.out");
const child = spawn(
  "valgrind",
  ["--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes", `--callgrind-out-file=${out}`, process.execPath, "--import", "tsx", benchFile, "serve", variant, join(dir, "store.db")],
  { stdio: ["ignore", "pipe", "ignore"] },
);
try {
  let port: number | undefined;
  for await (const line of createInterface({ input: child.stdout! })) {
    try {
      port = (JSON.parse(line) as { port?: number }).port;
      if (port !== undefined) break;
    } catch {
      // not a JSON line
    }
  }
  if (port === undefined) throw new Error(`${variant} exited under valgrind before printing its port`);
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  const server: BenchServer = {
    url,
    child,
    // A fresh connection each time: under valgrind a kept-alive one is often closed before reuse.
    counts: () =>
      new Promise((resolve, reject) => {
        httpGet(`${url}/__bench/counts`, { agent: false }, (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => resolve(JSON.parse(text) as Record<string, number>));
        }).on("error", reject);
      }),
    stop: async () => undefined,
  };
  const batches = async (total: number) => {
    for (let sent = 0; sent < total; sent += BATCH) {
      await countedRound({ url: `${url}/api/vizochok/check-products`, body: productsBody, server, counter: "products", amount: Math.min(BATCH, total - sent) });
    }
  };
  await batches(WARM_UP);
  const before = (await server.counts()).products ?? 0;
  callgrindControl(child.pid!, "on");
  await batches(MEASURED);
  callgrindControl(child.pid!, "off");
  const answered = ((await server.counts()).products ?? 0) - before;
  if (answered < MEASURED * 0.95) throw new Error(`${variant}: ${answered} of ${MEASURED} requests reached the handler — the count is invalid`);
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  // One file per thread (`<out>-01` is the event-loop thread), each with its total.
  const threads = readdirSync(dir)
    .filter((file) => file.startsWith(`${basename(out)}-`))
    .map((file) => ({ file: join(dir, file), total: callgrindTotal(join(dir, file)) }));
  const all = threads.reduce((sum, thread) => sum + thread.total, 0);
  const main = threads.find((thread) => thread.file === `${out}-01`)?.total ?? 0;
  console.log(
    `${variant}: ${Math.round(all / answered).toLocaleString("en")} instructions per products request, all threads; ` +
      `${Math.round(main / answered).toLocaleString("en")} on the event-loop thread (${answered} requests counted)`,
  );
} finally {
  if (child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
