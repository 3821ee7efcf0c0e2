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

/**
 * What a merchant reads first when a case fails: a line naming the problem (and usually its fix),
 * before the exchange that shows it. A message that is only the exchange explains nothing.
 */
export function expectProblemNamed(message: string | undefined): void {
  const words = message?.split("\n")[0]!.match(/[a-z]{2,}/gi) ?? [];
  expect(words.length, `the first line of ${JSON.stringify(message)} names no problem`).toBeGreaterThanOrEqual(3);
}

/** One test per defect: its cases fail, nothing implausible fails, and the named check fired. */
export function itCatches({ defect, fails, mayAlsoFail = [], because }: DefectExpectation): void {
  it(`catches "${defect}" in ${fails.join(", ")}`, async () => {
    const report = await runAgainst(defect);
    const failed = failedIds(report);
    expect(report.preflight).toBeUndefined();
    expect(failed).toEqual(expect.arrayContaining(fails));
    expect(failed.filter((id) => !fails.includes(id) && !mayAlsoFail.includes(id))).toEqual([]);
    if (because !== undefined) expect(report.results.find((r) => r.id === fails[0])!.message).toMatch(because);
    for (const result of report.results) if (result.status === "failed") expectProblemNamed(result.message);
  }, 60_000);
}
