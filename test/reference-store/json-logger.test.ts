import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createJsonLogger } from "../../reference-store/json-logger.js";

const T0 = Date.UTC(2026, 11, 2, 3, 4, 5, 678);

function captured(level?: "debug" | "info" | "warn" | "error", now: () => number = () => T0) {
  const lines: string[] = [];
  const logger = createJsonLogger({ write: (line) => lines.push(line), now, ...(level && { level }) });
  return { logger, lines };
}

describe("createJsonLogger()", () => {
  it("writes level, time and msg first, then the fields, as one JSON line", () => {
    const { logger, lines } = captured();
    logger.info({ requestId: "r-1", kind: "products", status: 200, durationMs: 3 }, "webhook answered");
    expect(lines).toEqual([
      '{"level":"info","time":"2026-12-02T03:04:05.678Z","msg":"webhook answered","requestId":"r-1","kind":"products","status":200,"durationMs":3}\n',
    ]);
  });

  it("leaves msg out when there is no message, and writes a line with no fields", () => {
    const { logger, lines } = captured();
    logger.warn({ code: "x" });
    logger.error({}, 'quote " and \n newline');
    expect(lines).toEqual([
      '{"level":"warn","time":"2026-12-02T03:04:05.678Z","code":"x"}\n',
      '{"level":"error","time":"2026-12-02T03:04:05.678Z","msg":"quote \\" and \\n newline"}\n',
    ]);
  });

  it("stamps each line with the clock's time when it is written", () => {
    let time = T0;
    const { logger, lines } = captured(undefined, () => time);
    logger.info({}, "a");
    logger.info({}, "b");
    time += 1;
    logger.info({}, "c");
    expect(lines.map((line) => (JSON.parse(line) as { time: string }).time)).toEqual([
      "2026-12-02T03:04:05.678Z",
      "2026-12-02T03:04:05.678Z",
      "2026-12-02T03:04:05.679Z",
    ]);
  });

  it("writes nothing below its level", () => {
    const { logger, lines } = captured("warn");
    logger.debug({}, "d");
    logger.info({}, "i");
    logger.warn({}, "w");
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["w"]);
  });

  it("writes what JSON.stringify({ level, time, msg, ...fields }) writes, whatever the fields (a field named level, time or msg replaces the line's own value)", () => {
    // Keys that are array indices ("42") come first in a spread object; the line keeps them after
    // msg (the next test), so they are left out here, where the lines must match byte for byte.
    const key = fc.oneof(fc.constantFrom("level", "time", "msg", "err", "requestId"), fc.string({ maxLength: 6 })).filter((k) => !/^(0|[1-9]\d*)$/.test(k));
    const fields = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });
    const level = fc.constantFrom("debug", "info", "warn", "error") as fc.Arbitrary<"debug" | "info" | "warn" | "error">;
    fc.assert(
      fc.property(level, fields, fc.option(fc.string(), { nil: undefined }), (at, given, message) => {
        const { logger, lines } = captured("debug");
        logger[at](given, message);
        expect(lines).toEqual([`${JSON.stringify({ level: at, time: "2026-12-02T03:04:05.678Z", msg: message, ...given })}\n`]);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps a field whose name is a number after msg, with its value", () => {
    const { logger, lines } = captured();
    logger.info({ 404: "not found", kind: "cart" }, "m");
    expect(lines).toEqual(['{"level":"info","time":"2026-12-02T03:04:05.678Z","msg":"m","404":"not found","kind":"cart"}\n']);
  });
});
