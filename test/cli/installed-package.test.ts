import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "vizochok-merchant-kit";

// The package as a merchant installs it: built into a staging copy (so the repository's own
// dist/ is never touched), packed, and installed into a fresh project that has no vitest.
const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "vizochok-kit-installed-"));
const project = join(work, "shop");
const bin = join(project, "node_modules", ".bin", "vizochok-kit");
const quiet = { ...process.env, npm_config_loglevel: "error" };

beforeAll(() => {
  const stage = join(work, "stage");
  mkdirSync(join(stage, "fixtures"), { recursive: true });
  for (const file of ["package.json", "README.md", "LICENSE", "bin"]) cpSync(join(root, file), join(stage, file), { recursive: true });
  cpSync(join(root, "fixtures", "signature-vectors.json"), join(stage, "fixtures", "signature-vectors.json"));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", join(stage, "dist")], { cwd: root });
  execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: stage, env: quiet, stdio: "ignore" });
  const tarball = readdirSync(work).find((file) => file.endsWith(".tgz"))!;
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "shop", private: true, type: "module" }));
  execFileSync("npm", ["install", join(work, tarball), "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project, env: quiet, stdio: "ignore" });
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the installed package", () => {
  it("links vizochok-kit to the launcher, which runs the compiled CLI (no src/, no tsx)", () => {
    const kit = join(project, "node_modules", "vizochok-merchant-kit");
    expect(existsSync(join(kit, "bin", "vizochok-kit.js"))).toBe(true);
    expect(existsSync(join(kit, "dist", "cli", "vizochok-kit.js"))).toBe(true);
    expect(existsSync(join(kit, "src"))).toBe(false);
    expect(existsSync(join(project, "node_modules", "tsx"))).toBe(false);
    const help = spawnSync(bin, ["--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("contract   run every contract case against your webhooks over HTTP");
    const list = spawnSync(bin, ["contract", "--list"], { encoding: "utf8" });
    expect(list.stdout.trim().split("\n")).toHaveLength(33);
  });

  it("signs stdin with the installed sign command", () => {
    const body = '{"skus":["milk-001"],"store_id":"store-1"}';
    const signed = spawnSync(bin, ["sign", "--secret", "whsec_installed", "--timestamp", "1767225600"], { input: body, encoding: "utf8" });
    expect(signed.status).toBe(0);
    const headers = Object.fromEntries(signed.stdout.trim().split("\n").map((line) => line.split(": ") as [string, string]));
    expect(verifyWebhookSignature({ secrets: "whsec_installed", headers, rawBody: body, now: 1_767_225_600_000 })).toMatchObject({ ok: true });
  });

  it("imports vizochok-merchant-kit/testing without vitest installed", () => {
    expect(existsSync(join(project, "node_modules", "vitest"))).toBe(false);
    const output = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", 'const m = await import("vizochok-merchant-kit/testing"); console.log(typeof m.defineContractSuite, typeof m.runContract, m.CONTRACT_CASES.length)'],
      { cwd: project, encoding: "utf8" },
    );
    expect(output.trim()).toBe("function function 33");
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
