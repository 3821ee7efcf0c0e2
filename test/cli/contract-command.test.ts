import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { CONTRACT_CASES } from "../../src/contract/cases/index.js";
import { parseContractConfig } from "../../src/contract/config.js";
import { BASE_PATH, createBrokenMerchantServer } from "../contract/broken-merchants.js";
import { MEMORY_CONFIG, MEMORY_SECRET } from "../contract/memory-merchant.js";
import { listen } from "../contract/serve.js";
import { createFakeIo, withTempDir } from "./fake-io.js";

let good: Awaited<ReturnType<typeof listen>>;
let broken: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  good = await listen(createBrokenMerchantServer("none"));
  broken = await listen(createBrokenMerchantServer("unknown-sku-accepted"));
});
afterAll(async () => {
  await good?.close();
  await broken?.close();
});

const CONFIG = "test-output-never-written.json";
const ALL = CONTRACT_CASES.length;

async function contract(base: string, extra: string[] = [], io = createFakeIo()) {
  return withTempDir(async (dir) => {
    const config = join(dir, "contract.json");
    await writeFile(config, JSON.stringify(MEMORY_CONFIG));
    const code = await runCli(["contract", "--url", `${base}${BASE_PATH}`, "--secret", MEMORY_SECRET, "--config", config, ...extra], io);
    return { code, out: io.out(), err: io.err(), dir };
  });
}

describe("vizochok-kit contract", () => {
  it("exits 0 and prints one plain PASS line per case when every case passes", async () => {
    const { code, out } = await contract(good.origin);
    expect(code).toBe(0);
    expect(out.match(/^PASS /gm)).toHaveLength(ALL);
    expect(out).not.toContain("\u001b[");
    expect(out).toMatch(new RegExp(`contract honoured: ${ALL} passed, 0 failed, 0 skipped in .* against http://127\\.0\\.0\\.1:\\d+/api/vizochok\\n$`));
  });

  it("exits 1 and names the failing case, its evidence and the fix", async () => {
    const { code, out } = await contract(broken.origin);
    expect(code).toBe(1);
    const failures = out.match(/^FAIL .*$/gm) ?? [];
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^FAIL cart\.add-unknown — adding an unknown SKU answers "product_not_found" \(.* ms\)$/);
    expect(out).toContain('expected {"ok":false,"reason":"product_not_found"}: check the SKU exists in this store before adding it');
    expect(out).toMatch(/POST \/cart \{.*"sku":"vizochok-contract-unknown-[0-9a-f]+-\d+".*\} → 200 \{"ok":true\}/);
    expect(out).toContain(`contract broken: ${ALL - 1} passed, 1 failed, 0 skipped`);
  });

  it("writes valid JUnit XML to --out and still prints progress", async () => {
    await withTempDir(async (dir) => {
      const io = createFakeIo();
      const file = join(dir, "contract.xml");
      const { code, out } = await contract(broken.origin, ["--reporter", "junit", "--out", file], io);
      expect(code).toBe(1);
      expect(out).toContain("FAIL cart.add-unknown");
      const xml = await readFile(file, "utf8");
      expect(XMLValidator.validate(xml)).toBe(true);
      const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);
      expect(parsed.testsuites).toMatchObject({ tests: String(ALL), failures: "1", skipped: "0" });
    });
  });

  it("prints only the JSON report on stdout with --reporter json", async () => {
    const { code, out } = await contract(good.origin, ["--reporter", "json", "--only", "signature"]);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.ok).toBe(true);
    expect(report.results.map((r: { id: string }) => r.id)).toEqual(CONTRACT_CASES.filter((c) => c.group === "signature").map((c) => c.id));
    expect(report.results.length).toBeGreaterThan(0);
  });

  it("reports cases whose data the config lacks as skipped, with the reason, and still exits 0", async () => {
    const io = createFakeIo();
    const code = await runCli(
      ["contract", "--url", `${good.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET, "--in-stock-sku", "milk-001", "--only", "cart"],
      io,
    );
    expect(code).toBe(0);
    expect(io.out()).toContain("SKIP cart.quantity-exceeded");
    expect(io.out()).toContain("     skipped: no limitedSku in the config");
    expect(io.out()).toContain("SKIP cart.out-of-stock");
    const bare = parseContractConfig({ inStockSku: "milk-001" });
    if (!bare.ok) throw new Error(bare.message);
    const cart = CONTRACT_CASES.filter((c) => c.group === "cart");
    const skipped = cart.filter((c) => c.skipReason?.(bare.config) !== undefined).length;
    expect(skipped).toBeGreaterThanOrEqual(2);
    expect(io.out()).toContain(`${cart.length - skipped} passed, 0 failed, ${skipped} skipped`);
  });

  it("uses colour and a progress line on a terminal, and plain lines when CI is set", async () => {
    const tty = createFakeIo({ isTTY: true });
    await contract(good.origin, ["--only", "products.shape"], tty);
    expect(tty.out()).toContain("\u001b[32mPASS\u001b[0m products.shape");
    expect(tty.out()).toContain("[1/1] products.shape …");
    const ci = createFakeIo({ isTTY: true, env: { CI: "true" } });
    await contract(good.origin, ["--only", "products.shape"], ci);
    expect(ci.out()).toMatch(/^PASS products\.shape/);
  });

  it.each([
    [["contract", "--secret", "s", "--in-stock-sku", "x"], "--url is required"],
    [["contract", "--url", "http://127.0.0.1:1", "--in-stock-sku", "x"], "--secret is required (or set VIZOCHOK_WEBHOOK_SECRET)"],
    [["contract", "--url", "http://127.0.0.1:1", "--secret", "s"], "pass --config FILE (with inStockSku) or --in-stock-sku SKU"],
    [["contract", "--url", "http://127.0.0.1:1", "--secret", "s", "--in-stock-sku", "x", "--reporter", "tap"], "--reporter must be one of pretty, junit, json"],
    [["contract", "--url", "http://127.0.0.1:1", "--secret", "s", "--in-stock-sku", "x", "--only", "cart.typo"], "unknown contract case or group: cart.typo"],
    [["contract", "--url", "http://127.0.0.1:1", "--secret", "s", "--config", CONFIG], `cannot read --config ${CONFIG}: no such file (looked in ${process.cwd()})`],
    [["contract", "--url", "http://127.0.0.1:1", "--secret", "s", "--config", "fixtures"], "cannot read --config fixtures: it is a directory"],
    [["contract", "--bogus"], "Unknown option '--bogus'"],
  ])("exits 2 with the usage for %j", async (argv, message) => {
    const io = createFakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.err()).toContain("vizochok-kit contract --url BASE --secret S [--config FILE]");
  });

  describe("when the cases cannot run (exit 3, one line, the report still written)", () => {
    async function notRun(base: string, extra: string[], secret = MEMORY_SECRET) {
      return withTempDir(async (dir) => {
        const io = createFakeIo();
        const config = join(dir, "contract.json");
        await writeFile(config, JSON.stringify(MEMORY_CONFIG));
        const report = join(dir, "contract.xml");
        const code = await runCli(["contract", "--url", base, "--secret", secret, "--config", config, "--reporter", "junit", "--out", report, ...extra], io);
        const xml = await readFile(report, "utf8");
        expect(XMLValidator.validate(xml)).toBe(true);
        const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => ["testsuite", "testcase"].includes(name) }).parse(xml);
        return { code, out: io.out(), err: io.err(), junit: parsed.testsuites };
      });
    }

    function expectOneFailedPreflight(junit: { tests: string; failures: string; skipped: string; testsuite: Array<{ name: string; testcase: Array<{ failure?: { message: string }; skipped?: { message: string } }> }> }, cause: string) {
      expect(junit).toMatchObject({ tests: String(ALL + 1), failures: "1", skipped: String(ALL) });
      const [first, ...groups] = junit.testsuite;
      expect(first!.name).toBe("preflight");
      expect(first!.testcase[0]!.failure!.message).toBe(cause);
      const skips = groups.flatMap((group) => group.testcase.map((testcase) => testcase.skipped?.message));
      expect(skips).toEqual(Array(ALL).fill(`not run: ${cause}`));
    }

    it("names host and port when the backend is down", async () => {
      const closed = await listen(createBrokenMerchantServer("none"));
      await closed.close();
      const { code, out, err, junit } = await notRun(`${closed.origin}${BASE_PATH}`, []);
      const cause = `cannot reach 127.0.0.1:${new URL(closed.origin).port} (ECONNREFUSED): is the backend running, and is --url right?`;
      expect(code).toBe(3);
      expect(out).toBe("");
      expect(err).toBe(`vizochok-kit contract: ${cause}\n`);
      expectOneFailedPreflight(junit, cause);
    });

    it("says the secrets differ when a signed request is refused like an unsigned one", async () => {
      const { code, out, err, junit } = await notRun(`${good.origin}${BASE_PATH}`, [], "whsec_not_the_one");
      const cause =
        `the secrets differ: a correctly signed request to ${good.origin}${BASE_PATH}/check-products was refused (401) just as an unsigned one was (401); ` +
        "--secret must be the secret the backend verifies with";
      expect(code).toBe(3);
      expect(out).toBe("");
      expect(err).toBe(`vizochok-kit contract: ${cause}\n`);
      expectOneFailedPreflight(junit, cause);
    });

    it("says --url must be the base path when none of the three webhooks is there", async () => {
      const { code, err, junit } = await notRun(good.origin, []);
      const cause =
        `no webhook at ${good.origin}/check-products, ${good.origin}/cart, ${good.origin}/cart/items; ` +
        "--url must be the base path the three webhooks live under";
      expect(code).toBe(3);
      expect(err).toBe(`vizochok-kit contract: ${cause}\n`);
      expectOneFailedPreflight(junit, cause);
    });

    it("puts the cause in the JSON report and skips every case with it", async () => {
      const closed = await listen(createBrokenMerchantServer("none"));
      await closed.close();
      const { code, out } = await contract(closed.origin, ["--reporter", "json"]);
      expect(code).toBe(3);
      const report = JSON.parse(out);
      expect(report).toMatchObject({ ok: false, counts: { passed: 0, failed: 0, skipped: ALL }, preflight: { problem: "unreachable" } });
      expect(report.preflight.message).toMatch(/^cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      expect(new Set(report.results.map((r: { message: string }) => r.message))).toEqual(new Set([`not run: ${report.preflight.message}`]));
    });
  });

  it("--timeout bounds every request: a cart that is not answered within it fails with VIZOCHOK's retry, products still pass", async () => {
    // Cart POSTs are held unanswered until the run is over (no timer racing the CLI's own), so
    // on any machine they are past the timeout; the rest is answered at once.
    const inner = createBrokenMerchantServer("none");
    const slow = await listen(
      createServer((request, response) => {
        if (request.method !== "POST" || request.url?.endsWith("/cart") !== true) inner.emit("request", request, response);
      }),
    );
    try {
      const { code, out } = await contract(slow.origin, ["--timeout", "1", "--only", "products", "--only", "cart.add-known", "--reporter", "json"]);
      expect(code).toBe(1);
      const report = JSON.parse(out);
      const addKnown = report.results.find((r: { id: string }) => r.id === "cart.add-known");
      expect(addKnown.status).toBe("failed");
      expect(addKnown.message).toMatch(/^POST \/cart \{.*\} got no answer within 1 s: VIZOCHOK would time out and retry: answer within 1 s$/);
      expect(report.results.filter((r: { id: string; status: string }) => r.id.startsWith("products.") && r.status !== "passed")).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it.each(["0", "-1", "soon", "601"])("exits 2 for --timeout %s", async (value) => {
    const io = createFakeIo();
    expect(await runCli(["contract", "--url", "http://127.0.0.1:1", "--secret", "s", "--in-stock-sku", "x", `--timeout=${value}`], io)).toBe(2);
    expect(io.err()).toMatch(/--timeout must be/);
  });

  it("lists the cases with --list", async () => {
    const io = createFakeIo();
    expect(await runCli(["contract", "--list", "--only", "reliability"], io)).toBe(0);
    expect(io.out().trim().split("\n").map((line) => line.split(" ")[0])).toEqual(CONTRACT_CASES.filter((c) => c.group === "reliability").map((c) => c.id));
  });
});
