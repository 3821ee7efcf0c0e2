import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import { createBrokenMerchantServer } from "./broken-merchants.js";
import { listen } from "./serve.js";

// defineContractSuite under a real vitest: a child run of a generated test file, read back
// through vitest's own JSON report and its verbose output.
const root = fileURLToPath(new URL("../../", import.meta.url));
await mkdir(join(root, "test-output"), { recursive: true });
const dir = await mkdtemp(join(root, "test-output", "define-suite-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const CONFIG = `import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
export default defineConfig({
  resolve: { alias: { "vizochok-merchant-kit/testing": fileURLToPath(new URL("../../src/testing/index.ts", import.meta.url)) } },
  test: { include: ["*.test.ts"] },
});
`;

async function runVitest(suite: string, env: Record<string, string | undefined> = process.env): Promise<{ json: VitestJson; out: string }> {
  await writeFile(join(dir, "vitest.config.mjs"), CONFIG);
  await writeFile(join(dir, "suite.test.ts"), suite);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "node_modules/vitest/vitest.mjs"), "run", "--reporter=verbose", "--reporter=json", "--outputFile.json=report.json"], {
      cwd: dir,
      env: { ...env, CI: "true", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (chunk) => (text += chunk));
    child.stderr.on("data", (chunk) => (text += chunk));
    child.on("error", reject);
    child.on("close", () => resolve(text));
  });
  return { json: JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as VitestJson, out };
}

interface VitestJson {
  numFailedTests: number;
  numPassedTests: number;
  numPendingTests: number;
  numTotalTests: number;
  testResults: Array<{ status: string; message: string; assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

describe("defineContractSuite() under vitest", () => {
  it("fails one preflight test naming an unreachable backend and skips every case with that reason", async () => {
    const closed = await listen(createBrokenMerchantServer("none"));
    await closed.close();
    const port = new URL(closed.origin).port;
    const { json, out } = await runVitest(`import * as vitest from "vitest";
import { defineContractSuite } from "vizochok-merchant-kit/testing";
defineContractSuite(vitest, { url: "http://127.0.0.1:${port}/api/vizochok", secret: "whsec_test", config: { inStockSku: "milk-001", outOfStockSku: "milk-003", limitedSku: { sku: "milk-002", available: 3 } } });
`);
    const cause = `cannot reach 127.0.0.1:${port} (ECONNREFUSED): is the backend running, and is --url right?`;
    const results = json.testResults[0]!.assertionResults;
    expect(results.filter((r) => r.status === "failed").map((r) => r.title)).toEqual([
      "preflight: the backend is reachable at the URL and verifies with the same secret",
    ]);
    expect(results[0]!.failureMessages[0]).toContain(cause);
    expect(results.slice(1).map((r) => r.status)).toEqual(Array(CONTRACT_CASES.length).fill("skipped"));
    expect(out.split(`[not run: ${cause}]`)).toHaveLength(CONTRACT_CASES.length + 1);
    expect(out).not.toContain("ECONNREFUSED\n");
  }, 120_000);

  it("an unset VIZOCHOK_WEBHOOK_SECRET fails the file once, with a TypeError naming the option, and registers no case", async () => {
    const { VIZOCHOK_WEBHOOK_SECRET: _unset, ...env } = process.env;
    const { json, out } = await runVitest(
      `import * as vitest from "vitest";
import { defineContractSuite } from "vizochok-merchant-kit/testing";
defineContractSuite(vitest, { url: "http://127.0.0.1:9/api/vizochok", secret: process.env.VIZOCHOK_WEBHOOK_SECRET!, config: { inStockSku: "milk-001" } });
`,
      env,
    );
    const message =
      "defineContractSuite: secret must be a non-empty string, got undefined; it usually comes from process.env.VIZOCHOK_WEBHOOK_SECRET, which may be unset";
    expect(json.numTotalTests).toBe(0);
    expect(json.testResults.map((file) => [file.status, file.message])).toEqual([["failed", message]]);
    expect(out).toContain(`TypeError: ${message}`);
    expect(out).not.toContain("Cannot read properties of undefined");
  }, 120_000);
});
