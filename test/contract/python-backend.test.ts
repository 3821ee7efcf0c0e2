import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import { runContract, type ContractReport } from "../../src/contract/run-contract.js";
import { failedIds, MEMORY_RESOLVED } from "./defect-runner.js";
import { OTHER_DEFECTS, SIGNATURE_DEFECTS } from "./defects.js";

// The same suite against a backend written without the kit, in Python's standard library
// (test/contract/python-merchant.py): the contract holds across languages, and the defects a
// Python merchant ships (the first of repeated headers, bytes.fromhex on a bad signature) are
// caught by the same cases as in TypeScript.
const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./python-merchant.py", import.meta.url));
const SECRET = "whsec_contract_python";
const absent = existsSync(PYTHON) ? undefined : `${PYTHON} is not installed`;
if (absent !== undefined && process.env.CI === "true") throw new Error(`the Python backend test needs ${PYTHON} under CI`);

async function againstPython(defect: string): Promise<ContractReport> {
  const child: ChildProcess = spawn(PYTHON, [SCRIPT], { env: { ...process.env, VIZOCHOK_WEBHOOK_SECRET: SECRET, DEFECT: defect }, stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child, "exit");
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`python-merchant.py exited with ${code}`)));
      createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
    });
    return await runContract({ baseUrl: `http://127.0.0.1:${port}/api/vizochok`, secret: SECRET, config: MEMORY_RESOLVED });
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

const PYTHON_DEFECTS = ["first-of-repeated-headers-taken", "500-on-non-hex-signature", "signature-prefix-accepted", "stock-checked-per-cart", "cart-get-ignores-adds"];

describe.skipIf(absent !== undefined)(`the contract suite against a Python backend${absent === undefined ? "" : ` (skipped: ${absent})`}`, () => {
  it("passes every case on the correct Python backend", async () => {
    const report = await againstPython("");
    expect(failedIds(report)).toEqual([]);
    expect(report.counts).toEqual({ passed: CONTRACT_CASES.length, failed: 0, skipped: 0 });
  }, 60_000);

  for (const defect of PYTHON_DEFECTS) {
    const expectation = [...SIGNATURE_DEFECTS, ...OTHER_DEFECTS].find((e) => e.defect === defect)!;
    it(`catches "${defect}" in Python in ${expectation.fails.join(", ")}, as in TypeScript`, async () => {
      const report = await againstPython(defect);
      const failed = failedIds(report);
      expect(failed).toEqual(expect.arrayContaining(expectation.fails));
      expect(failed.filter((id) => !expectation.fails.includes(id) && !(expectation.mayAlsoFail ?? []).includes(id))).toEqual([]);
      if (expectation.because !== undefined) expect(report.results.find((r) => r.id === expectation.fails[0])!.message).toMatch(expectation.because);
    }, 60_000);
  }
});
