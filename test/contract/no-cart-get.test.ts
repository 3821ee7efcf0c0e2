import { describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import { parseContractConfig } from "../../src/contract/config.js";
import { runContract } from "../../src/contract/run-contract.js";
import { BASE_PATH, createBrokenMerchantServer } from "./broken-merchants.js";
import { MEMORY_CONFIG, MEMORY_SECRET } from "./memory-merchant.js";
import { listen } from "./serve.js";

describe("the contract suite with paths.cartGet: null (a backend without a cart GET webhook)", () => {
  it("runs the signature cases without reading the cart back and says so under each; skips the cases that need a cart GET", async () => {
    const parsed = parseContractConfig({ ...MEMORY_CONFIG, paths: { cartGet: null } });
    if (!parsed.ok) throw new Error(parsed.message);
    const server = await listen(createBrokenMerchantServer("none"));
    try {
      const report = await runContract({ baseUrl: `${server.origin}${BASE_PATH}`, secret: MEMORY_SECRET, config: parsed.config });
      const byId = new Map(report.results.map((result) => [result.id, result]));
      const signature = CONTRACT_CASES.filter((c) => c.group === "signature");
      expect(signature.map((c) => [c.id, byId.get(c.id)?.status, byId.get(c.id)?.notes])).toEqual(
        signature.map((c) => [c.id, "passed", ["not checked that nothing changed: no cart GET webhook"]]),
      );
      const needing = ["cart.stock-across-shoppers", ...CONTRACT_CASES.filter((c) => c.group === "cart-get" || c.group === "reliability").map((c) => c.id)];
      expect(report.results.filter((r) => r.status === "skipped").map((r) => [r.id, r.message])).toEqual(
        needing.map((id) => [id, "the config says there is no cart GET webhook (paths.cartGet: null)"]),
      );
      // The extra-field case stops at the add's answer instead of reading a cart it cannot.
      expect(byId.get("cart.extra-field")?.status).toBe("passed");
      expect(report.counts.failed).toBe(0);
    } finally {
      await server.close();
    }
  });
});
