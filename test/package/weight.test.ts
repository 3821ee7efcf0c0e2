import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { packedKit } from "./packed.js";

// What installing and bundling the kit costs a merchant, measured on the packed package.
describe("the package's weight", () => {
  // The first test file to ask packs and installs the kit for all of them: minutes, not seconds.
  beforeAll(() => void packedKit(), 600_000);

  it("npm install of the tarball in an empty project adds the kit and zod, and nothing with an install script", () => {
    const { project } = packedKit();
    const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const installed = Object.keys(lock.packages).filter((path) => path !== "").sort();
    expect(installed).toEqual(["node_modules/vizochok-merchant-kit", "node_modules/zod"]);
    expect(Object.values(lock.packages).some((entry) => entry.hasInstallScript === true)).toBe(false);
  });

  // 1.29 MB when the main entry loaded express, 463.7 KiB while the schemas used zod's classic
  // API (its `z` namespace holds every method and every locale); the schemas are on zod/mini now.
  it("a fetch-handler app bundles, minified, to at most 250 KB, with zod/mini's parts, English messages only, no framework and no stub dependency", async () => {
    const { project } = packedKit();
    const result = await build({
      stdin: { contents: FETCH_APP, resolveDir: project, loader: "js" },
      bundle: true,
      minify: true,
      write: false,
      format: "esm",
      platform: "browser",
      metafile: true,
    });
    const output = result.outputFiles[0]!;
    const bytes = output.contents.byteLength;
    // What the output holds: files the bundler visited but shook out entirely weigh nothing.
    const bundled = Object.entries(Object.values(result.metafile.outputs)[0]!.inputs).filter(([, input]) => input.bytesInOutput > 0);
    const inputs = bundled.map(([path]) => path.slice(path.indexOf("node_modules/")));
    const zodFiles = inputs.filter((path) => path.startsWith("node_modules/zod/"));
    expect(zodFiles.some((path) => path.includes("/v4/mini/"))).toBe(true);
    expect(zodFiles.filter((path) => path.includes("/v4/classic/"))).toEqual([]);
    expect(zodFiles.filter((path) => path.includes("/v4/locales/"))).toEqual(["node_modules/zod/v4/locales/en.js"]);
    expect(inputs.filter((path) => /node_modules\/(express|body-parser|iconv-lite|mime-db|ws|better-sqlite3)\//.test(path))).toEqual([]);
    expect(bytes).toBeLessThanOrEqual(250_000);
    const zodBytes = bundled.filter(([path]) => path.includes("node_modules/zod/")).reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
    console.log(`fetch-handler app, minified: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB), of which zod ${zodBytes} bytes`);

    // The bundle runs on its own, in a process where nothing else loaded zod: a valid request is
    // answered, an invalid one is described in English, as the classic API described it.
    writeFileSync(join(project, "fetch-app.mjs"), output.contents);
    writeFileSync(join(project, "run-fetch-app.mjs"), RUN_FETCH_APP);
    const run = spawnSync(process.execPath, ["run-fetch-app.mjs"], { cwd: project, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual([
      { status: 200, body: { products: [] } },
      { status: 400, body: { error: "invalid_request", message: "skus.0: Too small: expected string to have >=1 characters" } },
      { status: 400, body: { error: "invalid_request", message: "store_id: Invalid input: expected string, received number" } },
    ]);
  });
});

const FETCH_APP = `import { createWebWebhookHandler } from "vizochok-merchant-kit/web";
export default { fetch: createWebWebhookHandler({ secret: "whsec_x", logger: { info() {}, warn() {}, error() {} }, handlers: { products: () => ({ products: [] }) } }) };
`;

// Signs with node:crypto directly, so the only zod in the process is the bundle's.
const RUN_FETCH_APP = `import { createHmac } from "node:crypto";
import app from "./fetch-app.mjs";
const bodies = [{ skus: ["milk-001"], store_id: "s1" }, { skus: [""], store_id: "s1" }, { skus: ["milk-001"], store_id: 7 }];
const answers = [];
for (const value of bodies) {
  const body = JSON.stringify(value);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = "sha256=" + createHmac("sha256", "whsec_x").update(timestamp + "." + body).digest("hex");
  const headers = { "content-type": "application/json", "x-vizochok-signature": signature, "x-vizochok-timestamp": timestamp };
  const response = await app.fetch(new Request("http://shop.test/check-products", { method: "POST", body, headers }));
  answers.push({ status: response.status, body: await response.json() });
}
process.stdout.write(JSON.stringify(answers));
`;
