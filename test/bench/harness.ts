// Shared plumbing for benchmarks: child-process servers, autocannon rounds, ratio reports.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import autocannon from "autocannon";

export const BENCH_SECRET = "whsec_bench";

export interface BenchServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Runs `file` with tsx in its own process; it must print a JSON line with `port`. */
export async function startServerProcess(file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<BenchServer> {
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], {
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
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

export interface RoundResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

export async function round(options: autocannon.Options): Promise<RoundResult> {
  const result = await autocannon({ connections: 10, duration: 3, ...options });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
  };
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
): Promise<{ a: number; b: number; ratio: number }> {
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
  console.log(
    `${label}\n  ${a.name}: ${am.toFixed(0)} req/s (p99 ${median(ra.map((r) => r.p99))} ms)\n` +
      `  ${b.name}: ${bm.toFixed(0)} req/s (p99 ${median(rb.map((r) => r.p99))} ms)\n  ratio: ${ratio.toFixed(2)}×`,
  );
  return { a: am, b: bm, ratio };
}
