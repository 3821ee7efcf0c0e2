// `npm run bench -- callgrind`: the kit's Express router against a bare express.json() route, and
// its node:http adapter against a hand-written node:http handler (the servers of kit.bench.ts),
// counted in CPU instructions instead of timed (`BENCH_PAIRS=express` or `node` runs one pair). Each server
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

/** A pair counted one after the other: the kit's variant and its baseline, as kit.bench.ts compares them. */
interface Pair {
  /** Which pair, for `BENCH_PAIRS` (e.g. `BENCH_PAIRS=express`). */
  key: string;
  figure: string;
  kit: { variant: string; name: string };
  bare: { variant: string; name: string };
  /** How the ratio's figure names the two sides (the node pair's names are older than this list). */
  ratio: string;
  target: number;
}

const pairs: Pair[] = [
  {
    key: "express",
    figure: "(a)",
    kit: { variant: "kit-express", name: "kit Express router" },
    bare: { variant: "bare-express", name: "bare express.json() route" },
    ratio: "bare express.json() route per request / kit Express router per request",
    target: 1.05,
  },
  {
    key: "node",
    figure: "(b)",
    kit: { variant: "kit-node", name: "kit node:http adapter" },
    bare: { variant: "bare-node", name: "hand-written node:http handler" },
    ratio: "hand-written per request / kit per request",
    target: 0.8,
  },
];

if (!hasValgrind()) {
  console.log("valgrind is not installed: no instruction counts (apt-get install valgrind)");
} else {
  const wanted = process.env.BENCH_PAIRS?.split(",");
  const measured = kitUnderTest();
  console.log(`kit measured: ${measured.description}`);
  try {
    for (const pair of pairs.filter((p) => wanted === undefined || wanted.includes(p.key))) {
      // One after the other: two valgrind processes on two shared cores would only slow each other.
      const kit = await instructionsPerRequest(pair.kit.variant, measured);
      const bare = await instructionsPerRequest(pair.bare.variant, measured);
      const line = (name: string, n: typeof kit) =>
        `  ${name}: ${Math.round(n.perRequest).toLocaleString("en")} instructions per request, ${Math.round(n.mainThread).toLocaleString("en")} on the event-loop thread (${n.answered.toLocaleString("en")} requests)`;
      console.log(
        `${pair.figure} products webhook, 10 SKUs, ${MEASURED.toLocaleString("en")} distinct signed requests each, counted by the server, after ${WARM_UP.toLocaleString("en")} to warm up\n` +
          `${line(pair.kit.name, kit)}\n${line(pair.bare.name, bare)}`,
      );
      report(`${pair.kit.name}, instructions per request`, kit.perRequest, "instructions");
      report(`${pair.bare.name}, instructions per request`, bare.perRequest, "instructions");
      report(`${pair.figure} by instructions: ${pair.ratio}`, bare.perRequest / kit.perRequest, "×", { op: ">=", value: pair.target });
      report(`${pair.figure} event-loop thread only: ${pair.ratio}`, bare.mainThread / kit.mainThread, "×");
    }
  } finally {
    measured.remove();
  }
}
