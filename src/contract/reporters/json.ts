import type { ContractReport } from "../run-contract.js";

/**
 * The report as stable JSON: `{ ok, baseUrl, startedAt, durationMs, counts, results[] }`.
 *
 * @example
 * writeFileSync("contract.json", formatJsonReport(report));
 */
export function formatJsonReport(report: ContractReport): string {
  const { ok, baseUrl, startedAt, durationMs, counts, results } = report;
  return `${JSON.stringify({ ok, baseUrl, startedAt, durationMs: Math.round(durationMs), counts, results: results.map((r) => ({ ...r, durationMs: Math.round(r.durationMs * 10) / 10 })) }, null, 2)}\n`;
}
