import type { ContractReport } from "../run-contract.js";

/**
 * The report as stable JSON: `{ ok, baseUrl, startedAt, durationMs, counts, results[] }`, plus
 * `preflight: { problem, message }` when the cases were not run.
 *
 * @example
 * writeFileSync("contract.json", formatJsonReport(report));
 */
export function formatJsonReport(report: ContractReport): string {
  const { ok, baseUrl, startedAt, durationMs, counts, results, preflight } = report;
  const rounded = results.map((r) => ({ ...r, durationMs: Math.round(r.durationMs * 10) / 10 }));
  return `${JSON.stringify({ ok, baseUrl, startedAt, durationMs: Math.round(durationMs), counts, ...(preflight === undefined ? {} : { preflight }), results: rounded }, null, 2)}\n`;
}
