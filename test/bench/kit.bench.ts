// Kit core benchmarks: (a) Express router vs a bare express.json() route, (b) node:http adapter
// vs a hand-written node:http handler, (c) verifications per second, (d) replay guard memory.
import { createHmac, timingSafeEqual } from "node:crypto";
import { fileURLToPath } from "node:url";
import { kitUnderTest } from "./built-kit.js";
import { BENCH_SECRET, compare, countedRound, report, startServerProcess, type BenchServer } from "./harness.js";

const measured = kitUnderTest();
process.on("exit", () => measured.remove());
console.log(`kit measured: ${measured.description}`);
const { createMemoryReplayGuard, signWebhook, verifyWebhookSignature } = (await import(measured.specifier)) as typeof import("vizochok-merchant-kit");

const serverFile = fileURLToPath(new URL("./servers/kit-servers.ts", import.meta.url));
/** A products request for 10 SKUs that no other request in the run has: its own body and signature. */
const productsBody = (n: number) => ({ skus: Array.from({ length: 10 }, (_, i) => `sku-${n}-${i}`), store_id: "store-1" });

/** A round of distinct deliveries; fails unless the server's handler ran once per answer. */
const productsRound = (server: BenchServer) => () =>
  countedRound({ url: server.url + "/api/vizochok/check-products", body: productsBody, server, counter: "products" });

const [kitExpress, bareExpress, kitNode, bareNode] = await Promise.all(
  ["kit-express", "bare-express", "kit-node", "bare-node"].map((v) => startServerProcess(serverFile, [v], measured.env)),
);
try {
  const a = await compare(
    "(a) products webhook, 10 SKUs: kit Express router (verify + validate) vs bare express.json() route (no verification)",
    { name: "kit router", run: productsRound(kitExpress!) },
    { name: "bare express.json()", run: productsRound(bareExpress!) },
  );
  report("(a) kit Express router / bare express.json() route", a.ratio, "×", { op: ">=", value: 1.05 });
  if (a.cpu) report("(a) same, by server CPU per request (bare / kit)", a.cpu.ratio, "×", { op: ">=", value: 1.05 });
  const b = await compare(
    "(b) products webhook, 10 SKUs: kit node:http adapter vs hand-written node:http handler (no verification)",
    { name: "kit node adapter", run: productsRound(kitNode!) },
    { name: "hand-written node:http", run: productsRound(bareNode!) },
  );
  report("(b) kit node:http adapter / hand-written node:http handler", b.ratio, "×", { op: ">=", value: 0.8 });
  if (b.cpu) report("(b) same, by server CPU per request (hand-written / kit)", b.cpu.ratio, "×", { op: ">=", value: 0.8 });
} finally {
  await Promise.all([kitExpress, bareExpress, kitNode, bareNode].map((s) => s!.stop()));
}

// (c) verifications per second, 1 KB body, one core, against the raw HMAC in the same run: a bare
// createHmac(…).update(…).digest() plus timingSafeEqual over the same bytes. Rounds alternate
// (kit, raw, kit, raw …); rates are per second of this process's CPU time, so other work on the
// machine moves them less than wall-clock rates. Every call's verdict is checked.
{
  const body = Buffer.from(JSON.stringify({ skus: Array.from({ length: 60 }, (_, i) => `sku-${i}`), store_id: "store-1" }).padEnd(1024, " "));
  const headers = signWebhook({ secret: BENCH_SECRET, body });
  const signed = Buffer.concat([Buffer.from(`${headers["X-VIZOCHOK-Timestamp"]}.`), body]);
  const received = Buffer.from(headers["X-VIZOCHOK-Signature"].slice("sha256=".length), "hex");
  const kit = () => verifyWebhookSignature({ secrets: BENCH_SECRET, headers, rawBody: body }).ok;
  const raw = () => timingSafeEqual(createHmac("sha256", BENCH_SECRET).update(signed).digest(), received);
  /** Calls per CPU second in a 400 ms round; fails unless every call verified. */
  const round = (verify: () => boolean) => {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    let n = 0;
    while (process.hrtime.bigint() - start < 400_000_000n) {
      for (let i = 0; i < 1000; i++) if (!verify()) throw new Error("verification failed");
      n += 1000;
    }
    const used = process.cpuUsage(cpu);
    return n / ((used.user + used.system) / 1e6);
  };
  for (let i = 0; i < 20_000; i++) kit() && raw();
  const kitRates: number[] = [];
  const rawRates: number[] = [];
  for (let r = 0; r < 5; r++) {
    kitRates.push(round(kit));
    rawRates.push(round(raw));
  }
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[2]!;
  const ratios = kitRates.map((rate, r) => rate / rawRates[r]!);
  console.log(`(c) rounds, verifications per CPU second: kit ${kitRates.map((x) => Math.round(x)).join(", ")}; raw HMAC ${rawRates.map((x) => Math.round(x)).join(", ")}`);
  report("(c) verifyWebhookSignature, 1 KB body, one core (median of 5, per CPU second)", median(kitRates), "/s", { op: ">=", value: 150_000 });
  report("(c) raw createHmac + timingSafeEqual over the same bytes, same run (median of 5)", median(rawRates), "/s");
  report("(c) verifyWebhookSignature / raw HMAC (median of the 5 paired rounds)", median(ratios), "×");
}

// (d) replay guard memory under many distinct deliveries (default bound: 100,000 entries).
{
  const guard = createMemoryReplayGuard();
  const heap = () => {
    globalThis.gc?.();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };
  const before = heap();
  const sizes: string[] = [];
  let grown = 0;
  let n = 0;
  for (const target of [100_000, 200_000, 400_000]) {
    for (; n < target; n++) {
      const key = `${1767225600 + (n % 600)}.${n.toString(16).padStart(64, "0")}`;
      const seen = guard.begin({ key, path: "/cart", expiresAt: Date.now() + 600_000, ageMs: 0, identical: "apply" });
      if (seen.state !== "new") throw new Error(`delivery ${n} was not new: ${seen.state}`);
      guard.complete(seen.claim, { status: 200, body: `{"ok":true}` });
    }
    grown = heap() - before;
    sizes.push(`${target.toLocaleString("en")} deliveries → ${guard.size.toLocaleString("en")} entries, +${grown.toFixed(1)} MiB heap`);
  }
  console.log(`(d) memory replay guard: ${sizes.join("; ")}`);
  report("(d) memory replay guard heap after 400,000 distinct deliveries (bound 100,000 entries)", grown, "MiB");
}
