import { expect, it } from "vitest";
import { parseContractConfig } from "../../src/contract/config.js";
import { runContract, type CaseResult, type ContractReport } from "../../src/contract/run-contract.js";
import { BASE_PATH, createBrokenMerchantServer, type Defect, type Variant } from "./broken-merchants.js";
import type { DefectExpectation } from "./defects.js";
import { MEMORY_CONFIG, MEMORY_SECRET } from "./memory-merchant.js";
import { listen } from "./serve.js";

const parsed = parseContractConfig(MEMORY_CONFIG);
if (!parsed.ok) throw new Error(parsed.message);
export const MEMORY_RESOLVED = parsed.config;

export async function runAgainst(defect: Defect | Variant): Promise<ContractReport> {
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
  const line = message?.split("\n")[0] ?? "";
  expect(line.match(/[a-z]{2,}/gi)?.length ?? 0, `the first line of ${JSON.stringify(message)} names no problem`).toBeGreaterThanOrEqual(3);
  // "expected reason \"x\", got \"y\": " with nothing after the colon gives no reason or fix.
  expect(line, `the first line of ${JSON.stringify(message)} stops before its reason`).not.toMatch(/:\s*$/);
}

/** The lines the unbroken in-memory merchant's run reports, by case: what a merchant reads under a passed case. */
export const UNBROKEN_NOTES: Record<string, Array<string | RegExp>> = {
  "products.promo-below-price": ["1 of 3 answered SKUs had a promo_price"],
  "products.latency-p95": [/^p95 \d+\.\d ms, median \d+\.\d ms over 20 calls$/],
  "cart.stock-across-shoppers": ["3 of 8 shoppers got 1 × milk-002 (3 available)"],
  "cart.latency-p95": [/^p95 \d+\.\d ms, median \d+\.\d ms over 20 calls$/],
  "cart-get.latency-p95": [/^p95 \d+\.\d ms, median \d+\.\d ms over 20 calls$/],
  // Under heavy load the first add may take 1 s; the case then says so in a line before this one.
  "reliability.duplicate-delivery": ['second identical add: 200 {"ok":true}'],
  "reliability.parallel-adds": ["20 of 20 acknowledged, cart holds 20"],
};

export function expectUnbrokenNotes(result: CaseResult): void {
  const expected = UNBROKEN_NOTES[result.id] ?? [];
  const tail = result.notes.slice(-Math.max(expected.length, 1));
  if (expected.length === 0) expect(result.notes).toEqual([]);
  else expect(tail).toEqual(expected.map((note) => (typeof note === "string" ? note : expect.stringMatching(note))));
}

/** A note a backend the contract allows must get, by case: the branch that allows it ran. */
export const VARIANT_NOTES: Partial<Record<Variant, Record<string, RegExp>>> = {
  "first-add-of-a-cart-slow": {
    "reliability.duplicate-delivery": /^the first add took \d+ ms, so the identical second one was not checked against the ok count$/,
  },
};

export function expectVariantNotes(variant: Variant, result: CaseResult): void {
  const note = VARIANT_NOTES[variant]?.[result.id];
  if (note !== undefined) expect(result.notes, `${variant}, ${result.id}`).toContainEqual(expect.stringMatching(note));
}

/** One test per defect: its cases fail, nothing implausible fails, and the named check fired. */
export function itCatches({ defect, fails, mayAlsoFail = [], because, alsoBecause = {} }: DefectExpectation): void {
  it(`catches "${defect}" in ${fails.join(", ")}`, async () => {
    const report = await runAgainst(defect);
    const failed = failedIds(report);
    expect(report.preflight).toBeUndefined();
    expect(failed).toEqual(expect.arrayContaining(fails));
    expect(failed.filter((id) => !fails.includes(id) && !mayAlsoFail.includes(id))).toEqual([]);
    if (because !== undefined) expect(report.results.find((r) => r.id === fails[0])!.message).toMatch(because);
    for (const [id, pinned] of Object.entries(alsoBecause)) expect(report.results.find((r) => r.id === id)!.message).toMatch(pinned);
    for (const result of report.results) if (result.status === "failed") expectProblemNamed(result.message);
  }, 60_000);
}
