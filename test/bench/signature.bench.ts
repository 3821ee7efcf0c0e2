// `npm run bench -- signature`: figure (c) of the kit table in CPU instructions instead of time.
// Each variant runs in its own process under valgrind's callgrind with instrumentation off; after
// a warm-up the count is switched on for 20,000 verifications and off again: 100 distinct 1 KB
// bodies, signed before the count starts, verified in turn (verification keeps nothing from one
// call to the next; a small pool keeps the garbage collector's share the same on every side). The baseline is the raw HMAC: createHmac(…).update(…)
// .digest() and timingSafeEqual over the same bytes. Instructions do not depend on what else the
// machine runs, so the ratios hold on a shared machine where rates per second do not.
import { createHmac, timingSafeEqual } from "node:crypto";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { signWebhook, verifyWebhookSignature } from "vizochok-merchant-kit";
import { createVerifier } from "../../src/core/verification.js";
import { callgrindControl, callgrindTotal, hasValgrind } from "./callgrind-tools.js";
import { BENCH_SECRET, report } from "./harness.js";

const MEASURED = 20_000;
const WARM_UP = 20_000;
const POOL = 100;
const VARIANTS = {
  raw: "raw HMAC: createHmac + timingSafeEqual",
  kit: "verifyWebhookSignature (headers as signWebhook spells them)",
  core: "the core's verifier (node:http's lower-case headers)",
} as const;
type Variant = keyof typeof VARIANTS;

/** In the child: `count` verifications of `POOL` distinct signed 1 KB bodies in turn, each one's verdict checked. */
function verifications(variant: Variant, count: number, salt: string): () => number {
  const now = Date.now();
  const pool = Array.from({ length: POOL }, (_, n) => {
    const body = Buffer.from(JSON.stringify({ skus: Array.from({ length: 60 }, (_, i) => `sku-${i}`), store_id: "store-1", n: `${salt}-${n}` }).padEnd(1024, " "));
    const headers = signWebhook({ secret: BENCH_SECRET, body, timestamp: Math.floor(now / 1000) });
    const lowerCase = { "x-vizochok-signature": headers["X-VIZOCHOK-Signature"], "x-vizochok-timestamp": headers["X-VIZOCHOK-Timestamp"] };
    const signed = Buffer.concat([Buffer.from(`${headers["X-VIZOCHOK-Timestamp"]}.`), body]);
    const received = Buffer.from(headers["X-VIZOCHOK-Signature"].slice("sha256=".length), "hex");
    return { body, headers, lowerCase, signed, received };
  });
  const verifier = createVerifier({ secrets: [BENCH_SECRET], bodyLimit: 64 * 1024, toleranceSeconds: 300, getSigning: "empty-body", now: Date.now });
  const verify: Record<Variant, (delivery: (typeof pool)[number]) => boolean> = {
    raw: (d) => timingSafeEqual(createHmac("sha256", BENCH_SECRET).update(d.signed).digest(), d.received),
    kit: (d) => verifyWebhookSignature({ secrets: BENCH_SECRET, headers: d.headers, rawBody: d.body }).ok,
    core: (d) => (verifier({ method: "POST", target: "/check-products", headers: d.lowerCase, rawBody: d.body }) as { ok: boolean }).ok,
  };
  if (pool.some((delivery) => delivery.body.byteLength !== 1024)) throw new Error("every body must be 1 KB");
  return () => {
    let verified = 0;
    for (let n = 0; n < count; n++) if (verify[variant](pool[n % POOL]!)) verified++;
    return verified;
  };
}

if (process.argv[2] === "--child") {
  const variant = process.argv[3] as Variant;
  let warmUp: (() => number) | undefined = verifications(variant, WARM_UP, "warm-up");
  if (warmUp() !== WARM_UP) throw new Error(`${variant}: a warm-up verification failed`);
  warmUp = undefined;
  const measured = verifications(variant, MEASURED, "measured");
  // The warm-up's garbage collected now, not inside the count.
  globalThis.gc!();
  globalThis.gc!();
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  console.log("ready");
  await lines.next();
  const verified = measured();
  console.log(JSON.stringify({ verified }));
  await lines.next();
  process.exit(0);
}

/** Instructions per verification of one variant, with the count of verifications that passed. */
async function instructionsPerVerification(variant: Variant): Promise<number> {
  const out = join(tmpdir(), `callgrind-signature-${variant}-${process.pid}.out`);
  const file = fileURLToPath(import.meta.url);
  const child = spawn("valgrind", ["--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${out}`, process.execPath, "--expose-gc", "--import", "tsx", file, "--child", variant], {
    stdio: ["pipe", "pipe", "ignore"],
  });
  try {
    let verified: number | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      if (line === "ready") {
        callgrindControl(child.pid!, "on");
        child.stdin!.write("go\n");
      } else if (line.startsWith("{")) {
        callgrindControl(child.pid!, "off");
        verified = (JSON.parse(line) as { verified: number }).verified;
        child.stdin!.write("exit\n");
      }
    }
    if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
    if (verified !== MEASURED) throw new Error(`${variant}: ${verified ?? "no"} of ${MEASURED} verifications passed — the count is invalid`);
    return callgrindTotal(out) / MEASURED;
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(out, { force: true });
  }
}


if (!hasValgrind()) {
  console.log("valgrind is not installed: no instruction counts (apt-get install valgrind)");
} else {
  // One after the other: two valgrind processes on shared cores would only slow each other.
  const counts: Partial<Record<Variant, number>> = {};
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    counts[variant] = await instructionsPerVerification(variant);
    console.log(`  ${VARIANTS[variant]}: ${Math.round(counts[variant]).toLocaleString("en")} instructions per verification (${MEASURED.toLocaleString("en")} verifications of ${POOL} distinct 1 KB bodies, each verdict checked)`);
  }
  // Target: 150,000 verifications/s where the raw HMAC ran 154,000/s, i.e. within 3 % of it.
  report("(c) verifyWebhookSignature by instructions (raw HMAC / kit), 1 KB body", counts.raw! / counts.kit!, "×", { op: ">=", value: 0.97 });
  report("(c) the core's verifier by instructions (raw HMAC / core), 1 KB body", counts.raw! / counts.core!, "×");
}
