import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// Packs the kit exactly as `npm publish` would, installs the tarball into a fresh project
// outside this repo and sends a signed request through the installed copy.
const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "vizochok-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } });

describe("npm pack", () => {
  it("yields a tarball a fresh project installs, imports and runs a signed request through", () => {
    npm(["pack", "--pack-destination", work], root);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    expect(tarball).toMatch(/^vizochok-merchant-kit-.*\.tgz$/);

    const project = join(work, "shop");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "shop", private: true, type: "module" }));
    // Install scripts are skipped: the kit's entry point needs no native module.
    npm(["install", join(work, tarball!), "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], project);

    const kit = join(project, "node_modules", "vizochok-merchant-kit");
    expect(existsSync(join(kit, "dist", "index.js"))).toBe(true);
    expect(existsSync(join(kit, "dist", "index.d.ts"))).toBe(true);
    expect(existsSync(join(kit, "LICENSE"))).toBe(true);
    expect(existsSync(join(kit, "src"))).toBe(false);

    writeFileSync(
      join(project, "smoke.mjs"),
      `
import http from "node:http";
import { createNodeWebhookHandler, signWebhook } from "vizochok-merchant-kit";
const handlers = { products: ({ skus }) => ({ products: skus.map((sku) => ({ sku, price: 9.5, in_stock: true })) }) };
const server = http.createServer(createNodeWebhookHandler({ secret: "whsec_pack", handlers }));
server.listen(0, "127.0.0.1", async () => {
  const url = "http://127.0.0.1:" + server.address().port + "/check-products";
  const body = JSON.stringify({ skus: ["milk-001"], store_id: "store-1" });
  const signed = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...signWebhook({ secret: "whsec_pack", body }) } });
  const forged = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...signWebhook({ secret: "whsec_other", body }) } });
  console.log(JSON.stringify({ signed: [signed.status, await signed.json()], forged: [forged.status, await forged.json()] }));
  server.close();
});
`,
    );
    const output = execFileSync(process.execPath, ["smoke.mjs"], { cwd: project, encoding: "utf8" });
    const result = JSON.parse(output.trim()) as { signed: [number, unknown]; forged: [number, { error: string }] };
    expect(result.signed).toEqual([200, { products: [{ sku: "milk-001", price: 9.5, in_stock: true }] }]);
    expect(result.forged[0]).toBe(401);
    expect(result.forged[1].error).toBe("signature_mismatch");
  }, 180_000);
});
