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
});
