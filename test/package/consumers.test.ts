import { execFile, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/contract";
import { packedKit, quietNpm, root } from "./packed.js";

// The quick start in the four project setups a merchant's TypeScript may have, each compiled by
// tsc against the installed tarball and then run, sending signed requests over HTTP. All four sit
// under one directory whose node_modules holds only the kit, zod and @types/node: no express and
// no @types/express, so the main entry, /web, /node, /contract and /testing must type-check
// without them.
const run = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const work = mkdtempSync(join(tmpdir(), "vizochok-kit-consumers-"));
const strict = { strict: true, target: "ES2022", lib: ["ES2022", "DOM"], types: ["node"], rootDir: "src", outDir: "dist" };

interface Setup {
  name: string;
  type?: "module";
  compilerOptions: Record<string, unknown>;
  /** How the compiled project runs: `dist/` from tsc, or a bundle esbuild made from `src/`. */
  runs: "tsc" | "esbuild";
}

const setups: Setup[] = [
  // skipLibCheck off here: every .d.ts the kit ships is checked too, with no @types/express around.
  { name: "nodenext", type: "module", compilerOptions: { ...strict, module: "nodenext", moduleResolution: "nodenext", skipLibCheck: false }, runs: "tsc" },
  { name: "bundler", type: "module", compilerOptions: { ...strict, module: "esnext", moduleResolution: "bundler", skipLibCheck: true, noEmit: true }, runs: "esbuild" },
  // No "type": "module": tsc emits require() calls, which load the ESM-only kit on Node ≥ 20.19.
  { name: "commonjs", compilerOptions: { ...strict, module: "nodenext", moduleResolution: "nodenext", skipLibCheck: true }, runs: "tsc" },
  // moduleResolution "node" (node10) ignores "exports"; the subpaths resolve through typesVersions.
  { name: "node10", compilerOptions: { ...strict, module: "commonjs", moduleResolution: "node", esModuleInterop: true, skipLibCheck: true }, runs: "tsc" },
];

const compiled = new Map<string, { status: number; output: string }>();

beforeAll(async () => {
  const { tarball } = packedKit();
  const typesNode = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies["@types/node"]!;
  writeFileSync(join(work, "package.json"), JSON.stringify({ name: "consumers", private: true }));
  const install = spawnSync("npm", ["install", tarball, `@types/node@${typesNode}`, "--prefer-offline", "--ignore-scripts"], { cwd: work, env: quietNpm, encoding: "utf8" });
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}\n${install.stderr}`);
  for (const setup of setups) {
    const dir = join(work, setup.name);
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: setup.name, private: true, ...(setup.type === undefined ? {} : { type: setup.type }) }));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: setup.compilerOptions, include: ["src"] }));
    cpSync(new URL("./consumers/quick-start.ts", import.meta.url), join(dir, "src", "quick-start.ts"));
    if (setup.name === "commonjs") cpSync(new URL("./consumers/dynamic-import.ts", import.meta.url), join(dir, "src", "dynamic-import.ts"));
  }
  // The four tsc runs are independent; running them side by side halves the wait on two cores.
  await Promise.all(
    setups.map(async (setup) => {
      const result = await run(process.execPath, [tsc, "-p", "."], { cwd: join(work, setup.name) }).then(
        (done) => ({ status: 0, output: done.stdout + done.stderr }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({ status: error.code ?? 1, output: `${error.stdout ?? ""}${error.stderr ?? ""}` }),
      );
      compiled.set(setup.name, result);
    }),
  );
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function runNode(dir: string, file: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, [file], { cwd: dir });
  return JSON.parse(stdout) as unknown;
}

describe("the quick start in a consumer project, from the packed tarball", () => {
  it("the projects have no express and no @types/express to lean on", () => {
    expect(existsSync(join(work, "node_modules", "vizochok-merchant-kit", "package.json"))).toBe(true);
    expect(existsSync(join(work, "node_modules", "express"))).toBe(false);
    expect(existsSync(join(work, "node_modules", "@types", "express"))).toBe(false);
  });

  it.each(setups)("$name: tsc passes, and the compiled quick start answers signed requests", { timeout: 60_000 }, async (setup) => {
    const dir = join(work, setup.name);
    expect(compiled.get(setup.name)).toEqual({ status: 0, output: "" });
    let entry = join(dir, "dist", "quick-start.js");
    if (setup.runs === "esbuild") {
      entry = join(dir, "dist", "quick-start.mjs");
      await build({ entryPoints: [join(dir, "src", "quick-start.ts")], bundle: true, platform: "node", format: "esm", outfile: entry, absWorkingDir: dir, logLevel: "silent" });
      // The bundle holds the kit itself: nothing is loaded from node_modules when it runs.
      expect(readFileSync(entry, "utf8")).not.toMatch(/from ["']vizochok-merchant-kit/);
    } else if (setup.type === undefined) {
      expect(readFileSync(entry, "utf8")).toContain('require("vizochok-merchant-kit/web")');
    }
    expect(await runNode(dir, entry)).toEqual({
      products: { status: 200, body: { products: [{ sku: "milk-001", price: 42.5, in_stock: true }] } },
      add: { status: 200, body: { ok: false, reason: "max_3_per_customer" } },
      tampered: { status: 401, body: { error: "signature_mismatch", message: expect.any(String) } },
      web: { status: 200, body: { items: [{ sku: "milk-001", name: "milk for s2", price: 42.5, quantity: 2 }] } },
      contractCases: CONTRACT_CASES.length,
      stubPort: 0,
    });
  });

  it("commonjs: import() of the kit works too (for Node before 20.19, which cannot require() it)", async () => {
    const dir = join(work, "commonjs");
    expect(readFileSync(join(dir, "dist", "dynamic-import.js"), "utf8")).toContain('import("vizochok-merchant-kit")');
    expect(await runNode(dir, join(dir, "dist", "dynamic-import.js"))).toMatchObject({ ok: true, secretIndex: 1 });
  });
});
