import { expect, it } from "vitest";
import { parseContractConfig } from "../../src/contract/config.js";
import { runContract, type ContractReport } from "../../src/contract/run-contract.js";
import { BASE_PATH, createBrokenMerchantServer, type Defect } from "./broken-merchants.js";
import type { DefectExpectation } from "./defects.js";
import { MEMORY_CONFIG, MEMORY_SECRET } from "./memory-merchant.js";
import { listen } from "./serve.js";

const parsed = parseContractConfig(MEMORY_CONFIG);
if (!parsed.ok) throw new Error(parsed.message);
export const MEMORY_RESOLVED = parsed.config;

export async function runAgainst(defect: Defect): Promise<ContractReport> {
  const server = await listen(createBrokenMerchantServer(defect));
  try {
    return await runContract({ baseUrl: `${server.origin}${BASE_PATH}`, secret: MEMORY_SECRET, config: MEMORY_RESOLVED });
  } finally {
    await server.close();
  }
}

export const failedIds = (report: ContractReport) => report.results.filter((r) => r.status === "failed").map((r) => r.id);

/** One test per defect: its cases fail, nothing implausible fails, and the named check fired. */
export function itCatches({ defect, fails, mayAlsoFail = [], because }: DefectExpectation): void {
  it(`catches "${defect}" in ${fails.join(", ")}`, async () => {
    const report = await runAgainst(defect);
    const failed = failedIds(report);
    expect(report.preflight).toBeUndefined();
    expect(failed).toEqual(expect.arrayContaining(fails));
    expect(failed.filter((id) => !fails.includes(id) && !mayAlsoFail.includes(id))).toEqual([]);
    if (because !== undefined) expect(report.results.find((r) => r.id === fails[0])!.message).toMatch(because);
  }, 60_000);
}
