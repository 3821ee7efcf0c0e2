// `npm run bench -- callgrind`: the kit's node:http adapter against a hand-written node:http
// handler (the servers of kit.bench.ts), counted in CPU instructions instead of timed. Each server
// runs under valgrind's callgrind with instrumentation off; after a warm-up the count is switched
// on for a batch of distinct signed products requests and off again. Instructions depend far less
// than throughput on what else the machine is running; the event-loop thread's hardly at all (V8's
// background threads do work that follows wall time, so both counts are reported). It leaves out
// the kernel's share (the same socket reads and writes on both sides), so the ratio it gives is
// the lower bound of the throughput ratio.
import { spawn } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { kitUnderTest, type KitUnderTest } from "./built-kit.js";
import { callgrindControl, callgrindTotal, hasValgrind } from "./callgrind-tools.js";
import { countedRound, readCounts, report, type BenchServer } from "./harness.js";

const serverFile = fileURLToPath(new URL("./servers/kit-servers.ts", import.meta.url));
// Long enough that V8's optimizing compiler has finished with both servers' hot code, and that
// garbage collections (a major one every few thousand requests) average out over the count.
const WARM_UP = 8_000;
const MEASURED = 10_000;
/** Deliveries are signed per batch, so none is near the end of the 300 s window when it arrives. */
const BATCH = 500;
/**
 * The n-th delivery's body. The serial is zero-padded so every body has the same length and shape
 * whichever server gets it: the kit runs first and would otherwise get shorter SKUs (which V8's
 * JSON.parse handles differently from 11-character ones) than the hand-written handler.
 */
const productsBody = (n: number) => ({ skus: Array.from({ length: 10 }, (_, i) => `sku-${String(n).padStart(7, "0")}-${i}`), store_id: "store-1" });

/**
 * Instructions per products request of one server variant: all threads, and the event-loop thread
 * alone (without V8's background compiling, marking and sweeping, whose share depends on how much
 * wall time the run takes, so it moves with the machine's load even under callgrind).
 */
async function instructionsPerRequest(variant: string, kit: KitUnderTest): Promise<{ perRequest: number; mainThread: number; answered: number }> {
  const out = join(tmpdir(), `callgrind-${variant}-${process.pid}.out`);
  const child = spawn("valgrind", ["--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes", `--callgrind-out-file=${out}`, process.execPath, "--import", "tsx", serverFile, variant], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, ...kit.env },
  });
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
    counts: () => readCounts(url, variant),
    stop: async () => undefined,
  };
  // Each batch is checked against the server's handler count (countedRound fails otherwise).
  const batches = async (total: number) => {
    for (let sent = 0; sent < total; sent += BATCH) {
      await countedRound({ url: `${url}/api/vizochok/check-products`, body: productsBody, server, counter: "products", amount: Math.min(BATCH, total - sent) });
    }
  };
  try {
    await batches(WARM_UP);
    const before = (await server.counts()).products ?? 0;
    callgrindControl(child.pid!, "on");
    await batches(MEASURED);
    callgrindControl(child.pid!, "off");
    // Handler runs while counting; a request that timed out at the client but ran still cost its instructions.
    const answered = ((await server.counts()).products ?? 0) - before;
    if (answered < MEASURED * 0.95) throw new Error(`${variant}: ${answered} of ${MEASURED} requests reached the handler — the count is invalid`);
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    // One file per thread (`<out>-01` is the main thread), each with its total.
    const perThread = threadFiles(out).map((file) => ({ file, total: callgrindTotal(file) }));
    const all = perThread.reduce((sum, thread) => sum + thread.total, 0);
    const main = perThread.find((thread) => thread.file === `${out}-01`)?.total ?? 0;
    return { perRequest: all / answered, mainThread: main / answered, answered };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    for (const file of threadFiles(out)) rmSync(file, { force: true });
  }
}

function threadFiles(out: string): string[] {
  const name = basename(out);
  return readdirSync(dirname(out))
    .filter((file) => file === name || file.startsWith(`${name}-`))
    .map((file) => join(dirname(out), file));
}


if (!hasValgrind()) {
  console.log("valgrind is not installed: no instruction counts (apt-get install valgrind)");
} else {
  // One after the other: two valgrind processes on two shared cores would only slow each other.
  const measured = kitUnderTest();
  let kit: Awaited<ReturnType<typeof instructionsPerRequest>>;
  let bare: typeof kit;
  try {
    kit = await instructionsPerRequest("kit-node", measured);
    bare = await instructionsPerRequest("bare-node", measured);
  } finally {
    measured.remove();
  }
  console.log(
    `kit measured: ${measured.description}\n` +
      `products webhook, 10 SKUs, ${MEASURED.toLocaleString("en")} distinct signed requests each, counted by the server, after ${WARM_UP.toLocaleString("en")} to warm up\n` +
      `  kit node:http adapter: ${Math.round(kit.perRequest).toLocaleString("en")} instructions per request, ${Math.round(kit.mainThread).toLocaleString("en")} on the event-loop thread (${kit.answered.toLocaleString("en")} requests)\n` +
      `  hand-written node:http handler: ${Math.round(bare.perRequest).toLocaleString("en")} instructions per request, ${Math.round(bare.mainThread).toLocaleString("en")} on the event-loop thread (${bare.answered.toLocaleString("en")} requests)`,
  );
  report("kit node:http adapter, instructions per request", kit.perRequest, "instructions");
  report("hand-written node:http handler, instructions per request", bare.perRequest, "instructions");
  report("(b) by instructions: hand-written per request / kit per request", bare.perRequest / kit.perRequest, "×", { op: ">=", value: 0.8 });
  report("(b) event-loop thread only: hand-written per request / kit per request", bare.mainThread / kit.mainThread, "×");
}
