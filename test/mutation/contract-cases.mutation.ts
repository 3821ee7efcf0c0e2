// The table of test/contract/defects.ts, checked one contract case at a time: the layout the
// mutation run needs. broken-backends*.test.ts run the whole suite once per broken backend, so
// every case's code runs in every test and a mutant in one case reruns every one of those
// suites. Here each case is its own describe, so a mutant in a case runs only that case, against
// each backend: the unbroken merchant, each backend whose row names the case in `fails` (with
// its `because` or `alsoBecause`), and every backend whose row does not name it, which must pass
// (no false alarms).
// Not a *.test.ts: the checks are the same as broken-backends*.test.ts, which the suite runs.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import { createContractClient, type ContractClient } from "../../src/contract/client.js";
import type { ContractCase } from "../../src/contract/contract-case.js";
import { runCase, type CaseResult } from "../../src/contract/run-contract.js";
import { BASE_PATH, createBrokenMerchantServer, VARIANTS, type Defect, type Variant } from "../contract/broken-merchants.js";
import { expectProblemNamed, expectUnbrokenNotes, expectVariantNotes, MEMORY_RESOLVED } from "../contract/defect-runner.js";
import { OTHER_DEFECTS, SIGNATURE_DEFECTS } from "../contract/defects.js";
import { MEMORY_SECRET } from "../contract/memory-merchant.js";
import { listen } from "../contract/serve.js";

const EXPECTATIONS = [...SIGNATURE_DEFECTS, ...OTHER_DEFECTS];
// Set by stryker.contract.config.mjs when only some case files are mutated: the other groups'
// tests could not kill anything and would only lengthen the initial run.
const GROUPS = process.env.CONTRACT_MUTATION_GROUPS?.split(",");
const runId = randomBytes(4).toString("hex");
let counter = 0;

interface Subject {
  client: ContractClient;
  close(): Promise<void>;
}

// Started on first use and shared by the cases after it: a mutant killed by the unbroken
// merchant never starts the others.
const subjects = new Map<Defect | Variant, Promise<Subject>>();
afterAll(async () => {
  for (const subject of subjects.values()) {
    const { client, close } = await subject;
    client.close();
    await close();
  }
});

function subject(defect: Defect | Variant): Promise<Subject> {
  let started = subjects.get(defect);
  if (started === undefined) {
    started = listen(createBrokenMerchantServer(defect)).then((server) => ({
      client: createContractClient({ baseUrl: `${server.origin}${BASE_PATH}`, secret: MEMORY_SECRET, paths: MEMORY_RESOLVED.paths }),
      close: server.close,
    }));
    subjects.set(defect, started);
  }
  return started;
}

async function runOn(contractCase: ContractCase, defect: Defect | Variant): Promise<CaseResult> {
  const { client } = await subject(defect);
  return runCase(contractCase, { client, config: MEMORY_RESOLVED, timeoutMs: 30_000, unique: (prefix) => `${prefix}-${runId}-${++counter}` });
}

async function inBatches<T, R>(items: readonly T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await Promise.all(items.slice(start, start + size).map(run))));
  return results;
}

for (const contractCase of CONTRACT_CASES.filter((c) => GROUPS === undefined || GROUPS.includes(c.group))) {
  const { id } = contractCase;
  // Quoted, because StrykerJS selects tests by an unanchored pattern and "cart.remove" is the
  // start of "cart.remove-absent".
  describe(`"${id}"`, () => {
    it("passes on the unbroken in-memory merchant", async () => {
      const result = await runOn(contractCase, "none");
      expect(result.message).toBeUndefined();
      expect(result.status).toBe("passed");
      expectUnbrokenNotes(result);
    });

    it("passes on each backend that differs only where the contract leaves a choice", async () => {
      const variants = Object.keys(VARIANTS) as Variant[];
      const results = await Promise.all(variants.map((variant) => runOn(contractCase, variant)));
      expect(results.flatMap((result, index) => (result.status === "passed" ? [] : [`${variants[index]}: ${result.message}`]))).toEqual([]);
      results.forEach((result, index) => expectVariantNotes(variants[index]!, result));
    });

    for (const { defect, fails, because, alsoBecause = {} } of EXPECTATIONS.filter((expectation) => expectation.fails.includes(id))) {
      it(`fails on "${defect}"`, async () => {
        const result = await runOn(contractCase, defect);
        expect(result.status).toBe("failed");
        expectProblemNamed(result.message);
        const pinned = fails[0] === id ? because : alsoBecause[id];
        if (pinned !== undefined) expect(result.message).toMatch(pinned);
      });
    }

    it("passes on every broken backend whose row does not name it", async () => {
      const others = EXPECTATIONS.filter(({ fails, mayAlsoFail = [] }) => !fails.includes(id) && !mayAlsoFail.includes(id));
      // A few backends at a time: the case that waits out a re-delivery takes 1.5 s on each.
      const results = await inBatches(others, 6, ({ defect }) => runOn(contractCase, defect));
      const falseAlarms = results.flatMap((result, index) => (result.status === "passed" ? [] : [`${others[index]!.defect}: ${result.message}`]));
      expect(falseAlarms).toEqual([]);
    }, 300_000);
  });
}
