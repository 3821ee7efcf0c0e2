import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "../../src/contract/cases/index.js";
import { parseContractConfig } from "../../src/contract/config.js";
import { runContract, type ContractReport } from "../../src/contract/run-contract.js";
import { BASE_PATH, createBrokenMerchantServer, type Defect } from "./broken-merchants.js";
import { MEMORY_CONFIG, MEMORY_SECRET } from "./memory-merchant.js";
import { listen } from "./serve.js";

const parsed = parseContractConfig(MEMORY_CONFIG);
if (!parsed.ok) throw new Error(parsed.message);
const config = parsed.config;

async function runAgainst(defect: Defect): Promise<ContractReport> {
  const server = await listen(createBrokenMerchantServer(defect));
  try {
    return await runContract({ baseUrl: `${server.origin}${BASE_PATH}`, secret: MEMORY_SECRET, config });
  } finally {
    await server.close();
  }
}

const failedIds = (report: ContractReport) => report.results.filter((r) => r.status === "failed").map((r) => r.id);

/**
 * Each defect must fail the case that names it; `alsoPlausible` lists the other cases the same
 * defect may reasonably break. Anything outside both lists would be a false alarm.
 */
const DEFECTS: Array<{ defect: Exclude<Defect, "none">; names: string[]; alsoPlausible: string[] }> = [
  {
    defect: "no-signature-check",
    names: CONTRACT_CASES.filter((c) => c.group === "signature").map((c) => c.id),
    alsoPlausible: [],
  },
  { defect: "stale-timestamps-accepted", names: ["signature.stale"], alsoPlausible: ["signature.future"] },
  {
    defect: "unrequested-skus-returned",
    names: ["products.only-requested"],
    alsoPlausible: ["products.batch-of-10"],
  },
  { defect: "replays-double-applied", names: ["reliability.duplicate-delivery"], alsoPlausible: [] },
  { defect: "500-on-malformed-json", names: ["cart.malformed-bodies"], alsoPlausible: [] },
  {
    defect: "cart-get-ignores-adds",
    names: ["cart-get.reflects-add"],
    alsoPlausible: [
      "cart-get.reflects-update",
      "cart-get.reflects-remove",
      "cart-get.latency-p95",
      "cart.extra-field",
      "cart.stock-across-shoppers",
      "reliability.duplicate-delivery",
      "reliability.parallel-adds",
    ],
  },
  { defect: "unknown-sku-accepted", names: ["cart.add-unknown"], alsoPlausible: [] },
];

describe("the contract suite against deliberately broken backends", () => {
  it("passes every case on the unbroken in-memory merchant", async () => {
    const report = await runAgainst("none");
    expect(failedIds(report)).toEqual([]);
    expect(report.counts).toEqual({ passed: report.results.length, failed: 0, skipped: 0 });
  });

  for (const { defect, names, alsoPlausible } of DEFECTS) {
    it(`catches "${defect}" in ${names.join(", ")}`, async () => {
      const report = await runAgainst(defect);
      const failed = failedIds(report);
      expect(failed).toEqual(expect.arrayContaining(names));
      expect(failed.filter((id) => !names.includes(id) && !alsoPlausible.includes(id))).toEqual([]);
      expect(report.ok).toBe(false);
    });
  }
});
