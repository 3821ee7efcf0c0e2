// Shared plumbing for benchmarks: child-process servers, autocannon rounds checked against the
// server's own counts, ratio reports, and figures with their targets written to a JSON file.
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { appendFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { createInterface } from "node:readline";
import autocannon from "autocannon";

export const BENCH_SECRET = "whsec_bench";

export interface BenchServer {
  url: string;
  child: ChildProcess;
  /** What the server counted so far (handler runs, audit rows), from its `/__bench/counts` route. */
  counts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Runs `file` with tsx in its own process; it must print a JSON line with `port`. With
 * `BENCH_PROFILE=dir` each server writes a `--cpu-prof` profile into `dir` when it stops.
 */
export async function startServerProcess(file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<BenchServer> {
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", file, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const lines = createInterface({ input: child.stdout! });
  let port: number | undefined;
  for await (const line of lines) {
    try {
      const parsed = JSON.parse(line) as { port?: number };
      if (typeof parsed.port === "number") {
        port = parsed.port;
        break;
      }
    } catch {
      // not a JSON line
    }
  }
  if (port === undefined) throw new Error(`${file} exited before printing its port`);
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    counts: () => readCounts(url, `${file} ${args.join(" ")}`),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/**
 * What a bench server counted so far, from its `/__bench/counts` route. A fresh connection each
 * time: a kept-alive one may be closed by the server between rounds (a reset, not an answer).
 */
export function readCounts(url: string, server: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${url}/__bench/counts`, { agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () =>
        response.statusCode === 200
          ? resolve(JSON.parse(text) as Record<string, number>)
          : reject(new Error(`${server}: /__bench/counts answered ${response.statusCode}`)),
      );
    });
    request.on("error", reject);
  });
}

/** A signed request ready to send: the client only writes bytes, so the server is what gets measured. */
export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/**
 * `size` deliveries, each with its own body (`body(n)` must differ for every `n`) and so its own
 * signature: no two are the same delivery, so no replay guard can answer one from another. Signed
 * as VIZOCHOK signs, HMAC-SHA256 over `"{timestamp}.{body}"`, with node:crypto rather than the kit
 * under test: the digest comes out as one flat hex string, about half the client's time and a
 * quarter of the memory of `signWebhook`'s (which builds its hex a character pair at a time).
 */
export function signedPool(size: number, body: (n: number) => object, secret = BENCH_SECRET): SignedRequest[] {
  const pool = new Array<SignedRequest>(size);
  for (let i = 0; i < size; i++) {
    const raw = JSON.stringify(body(nextSerial++));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `sha256=${createHmac("sha256", secret).update(`${timestamp}.`).update(raw).digest("hex")}`;
    pool[i] = { body: raw, headers: { "content-type": "application/json", "X-VIZOCHOK-Signature": signature, "X-VIZOCHOK-Timestamp": timestamp } };
  }
  return pool;
}
let nextSerial = 0;

export interface RoundResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** Requests written to the socket, and answers received with a 2xx. */
  sent: number;
  answered: number;
  /**
   * The server's own CPU time (user + system, µs) over the round divided by its handler runs, when
   * the server reports `cpuMicros`: far steadier than throughput on a machine others are using.
   */
  cpuMicrosPerRequest?: number;
}

export interface CountedRound {
  url: string;
  /** The body of the n-th delivery; must differ for every `n`. */
  body: (n: number) => object;
  server: BenchServer;
  /** The server count that must grow by one per request, e.g. "products" handler runs. */
  counter: string;
  /** Seconds to run, or `amount` requests in all. */
  duration?: number;
  amount?: number;
  connections?: number;
}

/**
 * Deliveries signed for a URL and not sent yet, and when the oldest of them was signed: a timed
 * round takes what it needs from here, and the next round gets the rest (each is still sent once).
 */
interface Reserve {
  pool: SignedRequest[];
  signedAt: number;
}
const reserves = new Map<string, Reserve>();
/** The most requests per second each URL has taken in a round, to size its next pool. */
const fastest = new Map<string, number>();
/** Requests per second assumed for a URL's first timed round: more than one client sends here. */
const FIRST_ROUND_RATE = 20_000;
/** How much faster than its fastest round so far a URL's next round may run before its pool runs out. */
const HEADROOM = 2;
/** Unsent deliveries older than this are dropped, far inside the 300 s signature window. */
const RESERVE_MAX_AGE_MS = 60_000;

/**
 * The deliveries for a timed round of `duration` s: at least `HEADROOM` × the URL's fastest rate
 * so far (`FIRST_ROUND_RATE` for its first), all signed before the round starts. What the last
 * round left unsent is used first, so a round signs only about as many as the last one took.
 */
function poolFor(options: CountedRound, duration: number): SignedRequest[] {
  const wanted = Math.ceil(duration * (fastest.has(options.url) ? HEADROOM * fastest.get(options.url)! : FIRST_ROUND_RATE));
  const reserve = reserves.get(options.url);
  const kept = reserve !== undefined && Date.now() - reserve.signedAt < RESERVE_MAX_AGE_MS ? reserve.pool : [];
  if (kept.length === 0) reserves.set(options.url, { pool: [], signedAt: Date.now() });
  return wanted <= kept.length ? kept : kept.concat(signedPool(wanted - kept.length, options.body));
}

/**
 * One autocannon round of distinct POST deliveries, then a check that the server's `counter`
 * grew by one for every answered request and never beyond what was sent: a round the handler did
 * not really serve (a replayed answer, a cache) fails the benchmark. Every delivery is signed
 * before the round, so the client only writes bytes. A timed round whose pool still ran out
 * (the client had to sign during it, and so measured itself too) is run again once with a pool
 * sized from it; if that one runs out too, the benchmark fails.
 */
export async function countedRound(options: CountedRound): Promise<RoundResult> {
  const result = await oneRound(options);
  if (result.signedDuringRound === 0) return result;
  console.log(`  (round discarded: its ${result.sent.toLocaleString("en")} deliveries outran the signed pool, ${result.signedDuringRound.toLocaleString("en")} signed during it; running it again)`);
  const again = await oneRound(options);
  if (again.signedDuringRound > 0) {
    throw new Error(`${options.url}: the client signed ${again.signedDuringRound} deliveries during the round — it measured the client, not the server`);
  }
  return again;
}

async function oneRound(options: CountedRound): Promise<RoundResult & { signedDuringRound: number }> {
  const duration = options.duration ?? 2;
  const timed = options.amount === undefined;
  const pool = timed ? poolFor(options, duration) : signedPool(options.amount!, options.body);
  const start = await options.server.counts();
  const before = start[options.counter] ?? 0;
  let next = 0;
  let signedDuringRound = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections ?? 10,
    ...(timed ? { duration } : { amount: options.amount! }),
    requests: [
      {
        method: "POST",
        setupRequest(request) {
          let signed = pool[next++];
          if (signed === undefined) {
            // Still a distinct delivery, but the round is no longer a measurement of the server.
            signedDuringRound++;
            signed = signedPool(1, options.body)[0]!;
          }
          return { ...request, body: signed.body, headers: signed.headers };
        },
      },
    ],
  });
  const sent = next;
  if (timed) {
    fastest.set(options.url, Math.max(fastest.get(options.url) ?? 0, sent / duration));
    reserves.get(options.url)!.pool = pool.slice(sent);
  }
  const answered = result["2xx"];
  // Requests still in flight when the round stopped are finished by the server; give it a moment.
  let ran = 0;
  let end = start;
  for (let attempt = 0; attempt < 20; attempt++) {
    end = await options.server.counts();
    ran = (end[options.counter] ?? 0) - before;
    if (ran >= answered) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (ran < answered || ran > sent) {
    throw new Error(
      `${options.url}: ${answered} answered of ${sent} sent, but "${options.counter}" counted ${ran} — ` +
        "the round did not measure what it names",
    );
  }
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    sent,
    answered,
    signedDuringRound,
    ...(start.cpuMicros !== undefined && end.cpuMicros !== undefined && ran > 0 && { cpuMicrosPerRequest: (end.cpuMicros - start.cpuMicros) / ran }),
  };
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

/** p50, p99 and max of `values` (nearest rank), and how many there were. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0, count: sorted.length };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Alternates A and B for `rounds` rounds each and reports medians and the ratio A/B. */
export async function compare(
  label: string,
  a: { name: string; run: () => Promise<RoundResult> },
  b: { name: string; run: () => Promise<RoundResult> },
  rounds = 3,
): Promise<{ a: number; b: number; ratio: number; ratios: number[]; cpu?: { a: number; b: number; ratio: number } }> {
  const ra: RoundResult[] = [];
  const rb: RoundResult[] = [];
  await b.run(); // warm-up, discarded
  await a.run();
  for (let i = 0; i < rounds; i++) {
    ra.push(await a.run());
    rb.push(await b.run());
  }
  const bad = [...ra, ...rb].reduce((n, r) => n + r.non2xx, 0);
  if (bad > 0) throw new Error(`${label}: ${bad} non-2xx answers, errors or timeouts — the measurement is invalid`);
  const am = median(ra.map((r) => r.requestsPerSecond));
  const bm = median(rb.map((r) => r.requestsPerSecond));
  const ratio = am / bm;
  const ratios = ra.map((r, i) => r.requestsPerSecond / rb[i]!.requestsPerSecond);
  const answered = (rs: RoundResult[]) => rs.reduce((n, r) => n + r.answered, 0).toLocaleString("en");
  const cpuOf = (rs: RoundResult[]) => (rs.every((r) => r.cpuMicrosPerRequest !== undefined) ? median(rs.map((r) => r.cpuMicrosPerRequest!)) : undefined);
  const [ca, cb] = [cpuOf(ra), cpuOf(rb)];
  const cpu = ca !== undefined && cb !== undefined ? { a: ca, b: cb, ratio: cb / ca } : undefined;
  const cpuText = (rs: RoundResult[], m: number | undefined) =>
    m === undefined ? "" : `; server CPU ${m.toFixed(1)} µs/request (rounds ${rs.map((r) => r.cpuMicrosPerRequest!.toFixed(1)).join(", ")})`;
  console.log(
    `${label}\n  ${a.name}: ${am.toFixed(0)} req/s (p99 ${median(ra.map((r) => r.p99))} ms; ${answered(ra)} requests, each counted by the server${cpuText(ra, ca)})\n` +
      `  ${b.name}: ${bm.toFixed(0)} req/s (p99 ${median(rb.map((r) => r.p99))} ms; ${answered(rb)} requests, each counted by the server${cpuText(rb, cb)})\n` +
      `  ratio per round: ${ratios.map((r) => r.toFixed(2)).join(", ")}` +
      (cpu === undefined ? "" : `\n  CPU-time ratio (${b.name} CPU per request / ${a.name} CPU per request): ${cpu.ratio.toFixed(2)}`),
  );
  return { a: am, b: bm, ratio, ratios, ...(cpu && { cpu }) };
}

export interface Figure {
  /** Which benchmark file measured it. */
  bench: string;
  name: string;
  value: number;
  unit: string;
  target?: { op: ">=" | "<="; value: number };
  met?: boolean;
}

/**
 * Prints one figure with its target and met / NOT met, and appends it to the JSON-lines file
 * `npm run bench` collects (`BENCH_FIGURES`), so runs can be compared.
 */
export function report(name: string, value: number, unit: string, target?: Figure["target"]): Figure {
  const bench = process.argv[1]?.split("/").at(-1)?.replace(/\.bench\.ts$/, "") ?? "bench";
  const met = target === undefined ? undefined : target.op === ">=" ? value >= target.value : value <= target.value;
  const figure: Figure = { bench, name, value, unit, ...(target && { target }), ...(met !== undefined && { met }) };
  const shown = `${formatValue(value)}${unit === "×" ? "×" : ` ${unit}`}`;
  const goal = target === undefined ? "" : ` — target ${target.op === ">=" ? "≥" : "≤"} ${formatValue(target.value)}${unit === "×" ? "×" : ` ${unit}`} → ${met ? "met" : "NOT met"}`;
  console.log(`  ▸ ${name}: ${shown}${goal}`);
  if (process.env.BENCH_FIGURES) appendFileSync(process.env.BENCH_FIGURES, `${JSON.stringify(figure)}\n`);
  return figure;
}

function formatValue(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
