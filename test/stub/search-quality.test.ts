// The hybrid search against a table of real shopper queries: typos, transliterations, inflections.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVizochokStub, type StubTools, type VizochokStub } from "vizochok-merchant-kit/testing";
import { catalog } from "./harness.js";

interface QualityCase {
  query: string;
  kind: string;
  /** Any of these counts as a hit. */
  top: string[];
  /** The best hit must be within this many results. */
  within: number;
}

const cases = JSON.parse(readFileSync(new URL("../../fixtures/search-quality.json", import.meta.url), "utf8")) as QualityCase[];
let stub: VizochokStub;
let tools: StubTools;

beforeAll(async () => {
  stub = await createVizochokStub({
    tenants: [
      {
        id: "shop",
        publicKey: "pk_test_q",
        secretKey: "sk_test_q",
        stores: ["store-1"],
        webhooks: { products_url: "http://127.0.0.1:9/unused", secret: "whsec_q" },
        catalog: catalog.products,
      },
    ],
  });
  tools = stub.tools("shop");
});
afterAll(() => stub.close());

describe("hybrid search quality", () => {
  it.each(cases)("“$query” ($kind) finds $top within $within", ({ query, top, within }) => {
    const found = tools.rankCatalog(query, within).map((hit) => hit.sku);
    expect(found.some((sku) => top.includes(sku)), `got ${found.join(", ")}`).toBe(true);
  });

  it("is deterministic: the same query gives the same ranking", () => {
    expect(tools.rankCatalog("lactl milk", 10)).toEqual(tools.rankCatalog("lactl milk", 10));
  });

  it("never returns inactive products", () => {
    const inactive = catalog.products.filter((p) => p.is_active === false).map((p) => p.sku);
    for (const sku of inactive) {
      const name = catalog.products.find((p) => p.sku === sku)!.name;
      expect(tools.rankCatalog(name, 20).map((hit) => hit.sku)).not.toContain(sku);
    }
  });

  it("finds nothing for nonsense", () => {
    expect(tools.rankCatalog("zzxqv")).toEqual([]);
  });
});
