import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import { runContract } from "../../src/contract/run-contract.js";
import { BASE_PATH, BREAKAGES, createBrokenMerchantServer, VARIANTS, type Variant } from "./broken-merchants.js";
import { expectUnbrokenNotes, expectVariantNotes, failedIds, itCatches, MEMORY_RESOLVED, runAgainst } from "./defect-runner.js";
import { OTHER_DEFECTS, SIGNATURE_DEFECTS } from "./defects.js";
import { MEMORY_SECRET } from "./memory-merchant.js";
import { listen } from "./serve.js";

describe("the contract suite against deliberately broken backends", () => {
  it("passes every case on the unbroken in-memory merchant", async () => {
    const report = await runAgainst("none");
    expect(failedIds(report)).toEqual([]);
    expect(report.counts).toEqual({ passed: CONTRACT_CASES.length, failed: 0, skipped: 0 });
    for (const result of report.results) expectUnbrokenNotes(result);
  }, 60_000);

  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    it(`passes every case on "${variant}", which the contract allows`, async () => {
      const report = await runAgainst(variant);
      expect(report.results.filter((r) => r.status !== "passed").map((r) => `${r.id}: ${r.message}`)).toEqual([]);
      for (const result of report.results) expectVariantNotes(variant, result);
    }, 60_000);
  }

  it("has a broken backend for every case, and a test for every broken backend", () => {
    const all = [...SIGNATURE_DEFECTS, ...OTHER_DEFECTS];
    const caught = new Set(all.flatMap((expectation) => expectation.fails));
    expect(CONTRACT_CASES.map((c) => c.id).filter((id) => !caught.has(id))).toEqual([]);
    // A pinned message of another case is of a case the backend must fail.
    expect(all.flatMap(({ defect, fails, alsoBecause = {} }) => Object.keys(alsoBecause).filter((id) => !fails.slice(1).includes(id)).map((id) => `${defect}: ${id}`))).toEqual([]);
    expect(all.map((expectation) => expectation.defect).sort()).toEqual(Object.keys(BREAKAGES).filter((defect) => defect !== "none").sort());
    const page = readFileSync(new URL("../../docs/contract-suite.md", import.meta.url), "utf8");
    expect(all.filter((expectation) => !page.includes(`| \`${expectation.defect}\` | `)).map((e) => e.defect)).toEqual([]);
    expect(page).toContain(`against\n  ${all.length} deliberately broken merchants`);
  });

  for (const expectation of OTHER_DEFECTS) itCatches(expectation);
});

describe("a backend slower than VIZOCHOK's budget", () => {
  it("that answers every cart call in 6 s fails the cart cases with VIZOCHOK's timeout after at most 3 waits", async () => {
    let cartCalls = 0;
    const inner = createBrokenMerchantServer("none");
    const slow = createServer(async (request, response) => {
      if (request.method === "POST" && request.url?.endsWith("/cart")) {
        cartCalls++;
        await delay(6_000);
      }
      inner.emit("request", request, response);
    });
    const server = await listen(slow);
    try {
      const report = await runContract({ baseUrl: `${server.origin}${BASE_PATH}`, secret: MEMORY_SECRET, config: MEMORY_RESOLVED });
      const failed = report.results.filter((r) => r.status === "failed");
      // The preflight's clear and one case's add are waited for; then the cart webhook is given up on.
      expect(cartCalls).toBeLessThanOrEqual(3);
      expect(report.preflight).toBeUndefined();
      expect(failed.map((r) => r.id)).toEqual(expect.arrayContaining(["cart.add-known", "cart.latency-p95", "cart-get.reflects-add"]));
      expect(failed.every((r) => r.message!.includes("VIZOCHOK would time out and retry: answer within 5 s"))).toBe(true);
      expect(report.results.filter((r) => r.id.startsWith("products.")).every((r) => r.status === "passed")).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);
});
