import { CONTRACT_GROUPS } from "../contract-case.js";
import { PREFLIGHT_TITLE } from "../preflight.js";
import type { CaseResult, ContractReport } from "../run-contract.js";

/**
 * The report as JUnit XML (one `<testsuite>` per group), the format CI servers show as tests.
 *
 * @example
 * writeFileSync("contract.xml", formatJunitReport(report));
 */
export function formatJunitReport(report: ContractReport): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const stopped = report.preflight === undefined ? 0 : 1;
  lines.push(
    `<testsuites name="vizochok contract" tests="${report.results.length + stopped}" failures="${report.counts.failed + stopped}" ` +
      `skipped="${report.counts.skipped}" errors="0" time="${seconds(report.durationMs)}">`,
  );
  if (report.preflight !== undefined) {
    // The cause, as the one failed test a CI report shows; every case below is skipped with it.
    lines.push(
      `  <testsuite name="preflight" tests="1" failures="1" skipped="0" errors="0" time="${seconds(report.durationMs)}" ` +
        `timestamp="${attr(report.startedAt.replace(/Z$/, ""))}" hostname="${attr(report.baseUrl)}">`,
      ...testcase({
        id: "preflight",
        group: "preflight",
        title: PREFLIGHT_TITLE,
        status: "failed",
        durationMs: report.durationMs,
        message: report.preflight.message,
        notes: [],
      }),
      "  </testsuite>",
    );
  }
  for (const group of CONTRACT_GROUPS) {
    const results = report.results.filter((result) => result.group === group);
    if (results.length === 0) continue;
    const count = (status: CaseResult["status"]) => results.filter((result) => result.status === status).length;
    const time = results.reduce((sum, result) => sum + result.durationMs, 0);
    lines.push(
      `  <testsuite name="${attr(group)}" tests="${results.length}" failures="${count("failed")}" skipped="${count("skipped")}" ` +
        `errors="0" time="${seconds(time)}" timestamp="${attr(report.startedAt.replace(/Z$/, ""))}" hostname="${attr(report.baseUrl)}">`,
    );
    for (const result of results) lines.push(...testcase(result));
    lines.push("  </testsuite>");
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}

function testcase(result: Omit<CaseResult, "group"> & { group: string }): string[] {
  const open = `    <testcase classname="vizochok.contract.${attr(result.group)}" name="${attr(`${result.id}: ${result.title}`)}" time="${seconds(result.durationMs)}"`;
  const children: string[] = [];
  if (result.status === "failed") {
    const message = result.message ?? "failed";
    children.push(`      <failure message="${attr(message.split("\n")[0]!)}" type="ContractViolation">${text(message)}</failure>`);
  }
  if (result.status === "skipped") children.push(`      <skipped message="${attr(result.message ?? "skipped")}"/>`);
  if (result.notes.length > 0) children.push(`      <system-out>${text(result.notes.join("\n"))}</system-out>`);
  return children.length === 0 ? [`${open}/>`] : [`${open}>`, ...children, "    </testcase>"];
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

// XML 1.0 forbids most control characters even when escaped; a merchant's body may contain them.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text(value: string): string {
  return value.replace(INVALID_XML, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function attr(value: string): string {
  return text(value).replace(/"/g, "&quot;").replace(/'/g, "&apos;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}
