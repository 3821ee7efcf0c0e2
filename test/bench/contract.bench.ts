// How long the whole contract suite takes against the reference store, three ways: in-process,
// over HTTP against `npm run store` in a child process, and as a user runs it
// (`npx vizochok-kit contract`, process start included). Baseline: the same suite against the
// in-memory kit merchant in this process, i.e. what the suite itself costs. Budget: 10 s.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { createWebhookRouter, silentLogger } from "vizochok-merchant-kit";
import { parseContractConfig, runContract, serveSubject, type ContractReport } from "vizochok-merchant-kit/testing";
import { createStoreApp } from "../../reference-store/app.js";
import { createMemoryMerchant, MEMORY_CONFIG, MEMORY_SECRET } from "../contract/memory-merchant.js";
import { report, startServerProcess } from "./harness.js";
import referenceConfig from "../../fixtures/reference-store.contract.json" with { type: "json" };

const ROUNDS = 5;
const BUDGET_MS = 10_000;
const SECRET = "whsec_bench_contract";

function resolved(input: unknown) {
  const parsed = parseContractConfig(input);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.config;
}

async function timeRounds(label: string, once: () => Promise<ContractReport | void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    const report = await once();
    times.push(performance.now() - started);
    if (report && !report.ok) throw new Error(`${label}: ${report.results.filter((r) => r.status === "failed").map((r) => `${r.id}: ${r.message}`).join("; ")}`);
  }
  return times.sort((a, b) => a - b);
}

const median = (times: number[]) => times[times.length >> 1]!;
const rows: Array<{ label: string; times: number[] }> = [];

const memory = await serveSubject(
  createServer(express().use("/api/vizochok", createWebhookRouter({ secret: MEMORY_SECRET, handlers: createMemoryMerchant().handlers, logger: silentLogger }))),
  "/api/vizochok",
);
rows.push({
  label: "baseline: in-memory kit merchant, in-process",
  times: await timeRounds("memory", () => runContract({ baseUrl: memory.baseUrl, secret: MEMORY_SECRET, config: resolved(MEMORY_CONFIG) })),
});
await memory.close();

const storeApp = createStoreApp({ secret: SECRET, databasePath: ":memory:", logger: silentLogger });
const inProcess = await serveSubject(storeApp.app, "/api/vizochok");
rows.push({
  label: "reference store, in-process",
  times: await timeRounds("in-process", () => runContract({ baseUrl: inProcess.baseUrl, secret: SECRET, config: resolved(referenceConfig) })),
});
await inProcess.close();
storeApp.close();

const dir = mkdtempSync(join(tmpdir(), "contract-bench-"));
const child = await startServerProcess("reference-store/main.ts", [], { PORT: "0", DATABASE_PATH: join(dir, "store.db"), VIZOCHOK_WEBHOOK_SECRET: SECRET });
const baseUrl = `${child.url}/api/vizochok`;
try {
  rows.push({
    label: "reference store over HTTP (npm run store)",
    times: await timeRounds("over HTTP", () => runContract({ baseUrl, secret: SECRET, config: resolved(referenceConfig) })),
  });
  rows.push({
    label: "npx vizochok-kit contract (process start included)",
    times: await timeRounds("npx", async () => {
      execFileSync("npx", ["vizochok-kit", "contract", "--url", baseUrl, "--secret", SECRET, "--config", "fixtures/reference-store.contract.json"], {
        stdio: "ignore",
        env: { ...process.env, npm_config_loglevel: "error" },
      });
    }),
  });
} finally {
  await child.stop();
  rmSync(dir, { recursive: true, force: true });
}

const baseline = median(rows[0]!.times);
console.log(`contract suite, ${ROUNDS} rounds each (median / max), budget ${BUDGET_MS / 1000} s`);
for (const { label, times } of rows) {
  const m = median(times);
  console.log(`  ${label.padEnd(54)} ${m.toFixed(0).padStart(6)} ms / ${times.at(-1)!.toFixed(0).padStart(6)} ms  ×${(m / baseline).toFixed(2)} baseline`);
}
const worst = Math.max(...rows.map((row) => row.times.at(-1)!));
for (const { label, times } of rows) report(`contract suite median, ${label.trim()}`, median(times), "ms", { op: "<=", value: BUDGET_MS });
console.log(worst < BUDGET_MS ? `every run under ${BUDGET_MS / 1000} s (slowest ${worst.toFixed(0)} ms)` : `OVER BUDGET: slowest ${worst.toFixed(0)} ms`);
process.exitCode = worst < BUDGET_MS ? 0 : 1;
