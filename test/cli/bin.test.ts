import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import { BASE_PATH, createBrokenMerchantServer } from "../contract/broken-merchants.js";
import { MEMORY_SECRET } from "../contract/memory-merchant.js";
import { listen } from "../contract/serve.js";
import { npxKit } from "./npx-kit.js";

// Each test spawns npx, which resolves the bin and compiles the TypeScript source on start: under
// a loaded machine that alone has taken most of vitest's default 20 s. This bound only stops a
// hang; what each test checks is the exit code and the output.
const NPX_TEST_TIMEOUT_MS = 120_000;

let good: Awaited<ReturnType<typeof listen>>;
let broken: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  good = await listen(createBrokenMerchantServer("none"));
  broken = await listen(createBrokenMerchantServer("stale-timestamps-accepted"));
});
afterAll(async () => {
  await good?.close();
  await broken?.close();
});

describe("npx vizochok-kit (source checkout, no build)", () => {
  it("exits 0 with plain PASS lines in a pipe when the contract holds", async () => {
    const { code, stdout } = await npxKit(["contract", "--url", `${good.origin}${BASE_PATH}`, "--in-stock-sku", "milk-001", "--only", "signature"], {
      VIZOCHOK_WEBHOOK_SECRET: MEMORY_SECRET,
    });
    expect(code).toBe(0);
    expect(stdout).not.toContain("\u001b[");
    expect(stdout.match(/^PASS signature\./gm)).toHaveLength(CONTRACT_CASES.filter((c) => c.group === "signature").length);
  }, NPX_TEST_TIMEOUT_MS);

  it("exits 1 when a case fails", async () => {
    const { code, stdout } = await npxKit(["contract", "--url", `${broken.origin}${BASE_PATH}`, "--secret", MEMORY_SECRET, "--in-stock-sku", "milk-001", "--only", "signature"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL signature\.stale /m);
  }, NPX_TEST_TIMEOUT_MS);

  it("exits 2 with the usage on stderr for a missing flag", async () => {
    const { code, stdout, stderr } = await npxKit(["contract"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("vizochok-kit contract: --url is required");
  }, NPX_TEST_TIMEOUT_MS);
});
