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
  /**
   * Products that mention the word without being the thing asked for ("Milka" for "milk",
   * "Herring in Oil" for "oil"): each ranks below every product of `top` that is found.
   */
  below?: string[];
}

const cases = JSON.parse(readFileSync(new URL("../../fixtures/search-quality.json", import.meta.url), "utf8")) as QualityCase[];
let stub: VizochokStub;
let tools: StubTools;

const startStub = () =>
  createVizochokStub({
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

beforeAll(async () => {
  stub = await startStub();
  tools = stub.tools("shop");
});
afterAll(() => stub.close());

describe("hybrid search quality", () => {
  it.each(cases)("“$query” ($kind) finds $top within $within", ({ query, top, within }) => {
    const found = tools.rankCatalog(query, within).map((hit) => hit.sku);
    expect(found.some((sku) => top.includes(sku)), `got ${found.join(", ")}`).toBe(true);
  });

  const ranked = cases.filter((c) => c.below !== undefined);
  it.each(ranked)("“$query” ($kind) ranks $below below $top", ({ query, top, below = [] }) => {
    const found = tools.rankCatalog(query, 20).map((hit) => hit.sku);
    const lastOfThing = Math.max(...top.map((sku) => found.indexOf(sku)));
    expect(lastOfThing, `none of ${top.join(", ")} found: ${found.join(", ")}`).toBeGreaterThanOrEqual(0);
    for (const sku of below) {
      const at = found.indexOf(sku);
      if (at >= 0) expect(at, `${sku} at ${at + 1} in ${found.join(", ")}`).toBeGreaterThan(lastOfThing);
    }
  });

  it("is deterministic: a second index built from the same catalog ranks every query alike, scores included", async () => {
    const other = await startStub();
    try {
      const queries = [...cases.map((c) => c.query), "lactl milk", "zzxqv"];
      for (const query of queries) expect(other.tools("shop").rankCatalog(query, 20), query).toEqual(tools.rankCatalog(query, 20));
    } finally {
      await other.close();
    }
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
