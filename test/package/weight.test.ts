import { readFileSync } from "node:fs";
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

  // 1.29 MB when the main entry loaded express. The goal of 250 KB is not met: zod's classic API,
  // which the schemas use through its \`z\` namespace, is most of what remains. This bound only
  // keeps it from growing back.
  it("a fetch-handler app bundles, minified, to at most 480 KiB, with no framework and no stub dependency", async () => {
    const { project } = packedKit();
    const result = await build({
      stdin: { contents: 'import { createWebWebhookHandler } from "vizochok-merchant-kit/web";\nexport default { fetch: createWebWebhookHandler({ secret: "whsec_x", handlers: { products: () => ({ products: [] }) } }) };\n', resolveDir: project, loader: "js" },
      bundle: true,
      minify: true,
      write: false,
      format: "esm",
      platform: "browser",
      metafile: true,
    });
    const bytes = result.outputFiles[0]!.contents.byteLength;
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes("node_modules/zod/"))).toBe(true);
    expect(inputs.filter((path) => /node_modules\/(express|body-parser|iconv-lite|mime-db|ws|better-sqlite3)\//.test(path))).toEqual([]);
    expect(bytes).toBeLessThanOrEqual(480 * 1024);
    const zod = Object.entries(result.metafile.outputs)[0]![1].inputs;
    const zodBytes = Object.entries(zod).filter(([path]) => path.includes("node_modules/zod/")).reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
    console.log(`fetch-handler app, minified: ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB), of which zod ${zodBytes} bytes`);
  });
});
