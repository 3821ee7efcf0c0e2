// `vizochok-kit contract`, run as a user runs it, against the store on PostgreSQL: one instance,
// and four instances behind one port (STORE_INSTANCES=4, node:cluster).
import { afterAll, describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";
import { npxKit } from "../cli/npx-kit.js";
import { SECRET } from "./helpers.js";
import { createTestSchema, reportSkipped, type TestSchema } from "./servers.js";
import { spawnStore } from "./spawn-store.js";

function contract(url: string): ReturnType<typeof npxKit> {
  return npxKit(["contract", "--url", url, "--secret", SECRET, "--config", "fixtures/reference-store.contract.json", "--reporter", "json"], { NO_COLOR: "1" });
}

interface Report {
  ok: boolean;
  results: { id: string; status: string; message?: string }[];
}

const schemas: TestSchema[] = [];
afterAll(async () => {
  await Promise.all(schemas.map((schema) => schema.drop()));
});

const probe = await createTestSchema("contract_probe");
schemas.push(probe);

if (probe.skipReason !== undefined) reportSkipped("vizochok-kit contract against the store on PostgreSQL", probe.skipReason);
else {
  describe("vizochok-kit contract against the store on PostgreSQL", () => {
    it.each([
      ["one instance", "1"],
      ["four instances behind one port", "4"],
    ])("passes every case: %s", { timeout: 240_000 }, async (_name, instances) => {
      // A fresh database each time: the suite's own adds use up the limited SKU's stock.
      const schema = await createTestSchema(`contract_${instances}`);
      schemas.push(schema);
      const store = await spawnStore({ DATABASE_URL: schema.url, STORE_INSTANCES: instances, VIZOCHOK_WEBHOOK_SECRET: SECRET, DATABASE_PATH: undefined });
      try {
        const listening = await store.waitForLog("listening");
        if (instances === "4") expect((listening["pids"] as number[]).length).toBe(4);
        const run = await contract(`${store.url}/api/vizochok`);
        const report = JSON.parse(run.stdout) as Report;
        const notPassed = report.results.filter((c) => c.status !== "passed");
        expect({ code: run.code, ok: report.ok, notPassed }).toEqual({ code: 0, ok: true, notPassed: [] });
        expect(report.results.map((result) => result.id)).toEqual(CONTRACT_CASES.map((c) => c.id));
        // The suite's changes reached this database.
        const changes = await schema.sql<{ n: number }>("SELECT COUNT(*)::integer AS n FROM webhook_audit WHERE kind = 'cart' AND outcome = 'ok'");
        expect(changes[0]!.n).toBeGreaterThan(0);
      } finally {
        expect(await store.stop()).toBe(0);
      }
    });
  });
}
