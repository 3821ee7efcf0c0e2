import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "vizochok-merchant-kit";
import { packedKit } from "../package/packed.js";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";

// The package as a merchant installs it: packed from a staging copy and installed into a fresh
// project that has no vitest (test/package/packed.ts, shared with the other package tests).
let project = "";
let bin = "";
beforeAll(() => {
  ({ project } = packedKit());
  bin = join(project, "node_modules", ".bin", "vizochok-kit");
}, 300_000);

describe("the installed package", () => {
  it("links vizochok-kit to the launcher, which runs the compiled CLI (no tsconfig, no tsx)", () => {
    const kit = join(project, "node_modules", "vizochok-merchant-kit");
    expect(existsSync(join(kit, "bin", "vizochok-kit.js"))).toBe(true);
    expect(existsSync(join(kit, "dist", "cli", "vizochok-kit.js"))).toBe(true);
    expect(existsSync(join(kit, "tsconfig.json"))).toBe(false);
    expect(existsSync(join(project, "node_modules", "tsx"))).toBe(false);
    const help = spawnSync(bin, ["--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("contract   run every contract case against your webhooks over HTTP");
    const list = spawnSync(bin, ["contract", "--list"], { encoding: "utf8" });
    expect(list.stdout.trim().split("\n")).toHaveLength(CONTRACT_CASES.length);
  });

  it("ships its metadata, declaration maps that resolve to shipped sources, the JSON Schemas and the vectors", () => {
    const kit = join(project, "node_modules", "vizochok-merchant-kit");
    const manifest = JSON.parse(readFileSync(join(kit, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.keywords).toEqual(expect.arrayContaining(["vizochok", "webhook"]));
    expect(existsSync(join(kit, "CHANGELOG.md"))).toBe(true);
    const map = JSON.parse(readFileSync(join(kit, "dist", "signature.d.ts.map"), "utf8")) as { sources: string[] };
    for (const source of map.sources) expect(existsSync(join(kit, "dist", source)), source).toBe(true);
    const output = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", 'const s = await import("vizochok-merchant-kit/schemas/cart-request.json", { with: { type: "json" } }); const v = await import("vizochok-merchant-kit/signature-vectors.json", { with: { type: "json" } }); console.log(s.default.title, v.default.vectors.length > 0)'],
      { cwd: project, encoding: "utf8" },
    );
    expect(output.trim()).toBe("CartRequest true");
    const schema = spawnSync(bin, ["schema", "products-request"], { encoding: "utf8" });
    expect(JSON.parse(schema.stdout)).toEqual(JSON.parse(readFileSync(join(kit, "schemas", "products-request.json"), "utf8")));
    expect(spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout.trim()).toBe(manifest.version);
  });

  it("signs stdin with the installed sign command", () => {
    const body = '{"skus":["milk-001"],"store_id":"store-1"}';
    const signed = spawnSync(bin, ["sign", "--secret", "whsec_installed", "--timestamp", "1767225600"], { input: body, encoding: "utf8" });
    expect(signed.status).toBe(0);
    const headers = Object.fromEntries(signed.stdout.trim().split("\n").map((line) => line.split(": ") as [string, string]));
    expect(verifyWebhookSignature({ secrets: "whsec_installed", headers, rawBody: body, now: 1_767_225_600_000 })).toMatchObject({ ok: true });
  });

  it("installs zod and nothing native: no express, ws, better-sqlite3 or vitest; every entry but /testing loads", () => {
    for (const absent of ["express", "ws", "better-sqlite3", "vitest", "tsx"]) expect(existsSync(join(project, "node_modules", absent)), absent).toBe(false);
    expect(existsSync(join(project, "node_modules", "zod"))).toBe(true);
    const output = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const entries = ["vizochok-merchant-kit", "vizochok-merchant-kit/web", "vizochok-merchant-kit/node", "vizochok-merchant-kit/express", "vizochok-merchant-kit/contract"];
         const loaded = await Promise.all(entries.map((entry) => import(entry)));
         console.log(loaded.map((m) => Object.keys(m).length > 0).join(" "), typeof loaded[4].defineContractSuite, loaded[4].CONTRACT_CASES.length > 0);
         await import("vizochok-merchant-kit/testing").then(() => console.log("testing loaded"), (error) => console.log(error.code));`,
      ],
      { cwd: project, encoding: "utf8" },
    );
    // The stub needs its optional peers (ws, better-sqlite3); the contract suite does not.
    expect(output.trim().split("\n")).toEqual(["true true true true true function true", "ERR_MODULE_NOT_FOUND"]);
  });

  it("serves a signed request through the installed kit and refuses a forged one", () => {
    const kit = join(project, "node_modules", "vizochok-merchant-kit");
    expect(existsSync(join(kit, "dist", "index.d.ts"))).toBe(true);
    expect(existsSync(join(kit, "LICENSE"))).toBe(true);
    writeFileSync(
      join(project, "smoke.mjs"),
      `
import http from "node:http";
import { createNodeWebhookHandler, signWebhook } from "vizochok-merchant-kit";
const handlers = { products: ({ skus }) => ({ products: skus.map((sku) => ({ sku, price: 9.5, in_stock: true })) }) };
const logger = { info() {}, warn() {}, error() {} };
const server = http.createServer(createNodeWebhookHandler({ secret: "whsec_pack", handlers, logger }));
server.listen(0, "127.0.0.1", async () => {
  const url = "http://127.0.0.1:" + server.address().port + "/check-products";
  const body = JSON.stringify({ skus: ["milk-001"], store_id: "store-1" });
  const send = (secret) => fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...signWebhook({ secret, body }) } });
  const signed = await send("whsec_pack");
  const forged = await send("whsec_other");
  console.log(JSON.stringify({ signed: [signed.status, await signed.json()], forged: [forged.status, await forged.json()] }));
  server.close();
});
`,
    );
    const output = execFileSync(process.execPath, ["smoke.mjs"], { cwd: project, encoding: "utf8" });
    const result = JSON.parse(output.trim()) as { signed: [number, unknown]; forged: [number, { error: string }] };
    expect(result.signed).toEqual([200, { products: [{ sku: "milk-001", price: 9.5, in_stock: true }] }]);
    expect(result.forged).toEqual([401, { error: "signature_mismatch", message: expect.any(String) }]);
  });
});
