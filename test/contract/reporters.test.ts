import fc from "fast-check";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { createPrettyReporter, formatJsonReport, formatJunitReport, isInteractive, type ContractReport } from "vizochok-merchant-kit/testing";

const report: ContractReport = {
  baseUrl: "http://127.0.0.1:8080/api/vizochok",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 1234.6,
  counts: { passed: 1, failed: 1, skipped: 1 },
  ok: false,
  results: [
    { id: "signature.stale", group: "signature", title: "a timestamp 301 s in the past is rejected", status: "passed", durationMs: 3.2, notes: [] },
    {
      id: "cart.malformed-bodies",
      group: "cart",
      title: "signed but malformed bodies are never answered with a 5xx",
      status: "failed",
      durationMs: 12,
      // Everything a merchant's answer can put in a message: markup, quotes, entities, control bytes.
      message: `not JSON → 500, <b>"quoted" & 'single'</b> ]]> \u0000\u0007\u001b[31m \uD800 end\n  POST /cart {not json → 500 <html>`,
      notes: ["p95 <1 ms & fine"],
    },
    { id: "cart.out-of-stock", group: "cart", title: "adding the out-of-stock SKU answers \"out_of_stock\"", status: "skipped", durationMs: 0, message: "no outOfStockSku in the config", notes: [] },
  ],
};

describe("formatJunitReport()", () => {
  const xml = formatJunitReport(report);

  it("is well-formed XML even when a backend's answer holds markup and control characters", () => {
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it("has one testsuite per group with the right counts, a failure and a skipped element", () => {
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => ["testsuite", "testcase"].includes(name) }).parse(xml);
    const root = parsed.testsuites;
    expect(root).toMatchObject({ tests: "3", failures: "1", skipped: "1", errors: "0", time: "1.235" });
    expect(root.testsuite.map((s: { name: string; tests: string }) => [s.name, s.tests])).toEqual([["signature", "1"], ["cart", "2"]]);
    const [failed, skipped] = root.testsuite[1].testcase;
    expect(failed.name).toBe("cart.malformed-bodies: signed but malformed bodies are never answered with a 5xx");
    expect(failed.failure.message).toContain(`<b>"quoted" & 'single'</b> ]]>`);
    expect(failed.failure["#text"]).toContain("POST /cart {not json → 500 <html>");
    expect(failed["system-out"]).toBe("p95 <1 ms & fine");
    expect(skipped.skipped.message).toBe("no outOfStockSku in the config");
  });
});

describe("formatJunitReport() on any text a backend can send", () => {
  // XML 1.0 cannot carry most control characters or lone surrogates; they are replaced, the rest kept.
  // eslint-disable-next-line no-control-regex
  const representable = (text: string) => text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

  it("stays valid XML and keeps every representable character of the message", () => {
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", trimValues: false, parseTagValue: false, processEntities: true, htmlEntities: false });
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (first, second) => {
        const message = `${first}\n${second}`;
        const xml = formatJunitReport({ ...report, results: [{ ...report.results[1]!, message, notes: [] }] });
        expect(XMLValidator.validate(xml)).toBe(true);
        const failure = parser.parse(xml).testsuites.testsuite.testcase.failure;
        expect(String(failure["#text"] ?? "")).toBe(representable(message).replace(/\r\n?/g, "\n"));
      }),
      { numRuns: 300 },
    );
  });
});

describe("formatJsonReport()", () => {
  it("round-trips the results", () => {
    const parsed = JSON.parse(formatJsonReport(report));
    expect(parsed).toMatchObject({ ok: false, counts: report.counts, baseUrl: report.baseUrl });
    expect(parsed.results.map((r: { id: string; status: string }) => `${r.id}:${r.status}`)).toEqual([
      "signature.stale:passed",
      "cart.malformed-bodies:failed",
      "cart.out-of-stock:skipped",
    ]);
  });
});

describe("createPrettyReporter()", () => {
  function render(interactive: boolean): string {
    let out = "";
    const reporter = createPrettyReporter({ write: (text) => (out += text), interactive });
    report.results.forEach((result, index) => {
      reporter.onCaseStart({ id: result.id, group: result.group, title: result.title, run: async () => {} }, index, 3);
      reporter.onCaseEnd(result, index, 3);
    });
    reporter.finish(report);
    return out;
  }

  it("writes plain lines without escape codes when not interactive", () => {
    const out = render(false);
    expect(out).not.toContain("\u001b[3");
    expect(out).toContain("PASS signature.stale — a timestamp 301 s in the past is rejected (3.2 ms)");
    expect(out).toContain("FAIL cart.malformed-bodies");
    expect(out).toContain("     skipped: no outOfStockSku in the config");
    expect(out).toContain("contract broken: 1 passed, 1 failed, 1 skipped in 1.23 s");
  });

  it("adds colour and a progress line on a terminal", () => {
    const out = render(true);
    expect(out).toContain("\u001b[32mPASS\u001b[0m");
    expect(out).toContain("[2/3] cart.malformed-bodies …");
  });
});

describe("isInteractive()", () => {
  it.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: false }, {}, false],
    [{}, {}, false],
    [{ isTTY: true }, { NO_COLOR: "1" }, false],
    [{ isTTY: true }, { CI: "true" }, false],
    [{ isTTY: true }, { TERM: "dumb" }, false],
  ])("%o with env %o → %s", (stream, env, expected) => {
    expect(isInteractive(stream, env)).toBe(expected);
  });
});
