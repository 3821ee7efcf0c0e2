import { describe, expect, it } from "vitest";
import { parseContractConfig } from "../../src/contract/config.js";
import { runContract } from "../../src/contract/run-contract.js";
import { BASE_PATH, createBrokenMerchantServer } from "./broken-merchants.js";
import { MEMORY_SECRET } from "./memory-merchant.js";
import { listen } from "./serve.js";

describe("the contract suite with a config that names only the store and an in-stock SKU", () => {
  it("skips the cases that need outOfStockSku or limitedSku, each with the field it lacks, and passes the rest", async () => {
    const parsed = parseContractConfig({ storeId: "store-1", inStockSku: "milk-001", otherStoreId: "store-2" });
    if (!parsed.ok) throw new Error(parsed.message);
    const server = await listen(createBrokenMerchantServer("none"));
    try {
      const report = await runContract({ baseUrl: `${server.origin}${BASE_PATH}`, secret: MEMORY_SECRET, config: parsed.config });
      expect(report.results.filter((r) => r.status === "skipped").map((r) => [r.id, r.message])).toEqual([
        ["products.out-of-stock", "no outOfStockSku in the config"],
        ["cart.quantity-exceeded", "no limitedSku in the config"],
        ["cart.out-of-stock", "no outOfStockSku in the config"],
        ["cart.stock-across-shoppers", "no limitedSku in the config"],
      ]);
      expect(report.results.filter((r) => r.status === "failed").map((r) => `${r.id}: ${r.message}`)).toEqual([]);
      // The products cases that look at every configured SKU asked for the in-stock one alone.
      expect(report.results.find((r) => r.id === "products.promo-below-price")?.notes).toEqual(["1 of 1 answered SKUs had a promo_price"]);
    } finally {
      await server.close();
    }
  });
});
