import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packedKit, quietNpm, root } from "./packed.js";
import { blockNamed, readmeBlocks, shellCommands } from "./readme-project.js";

// `npx vizochok-kit init` from the packed package, into an empty directory; the written project
// is installed (the kit from the same tarball, the rest from the registry), started with
// `npm start`, and must pass `vizochok-kit contract` with the config init wrote.
const work = mkdtempSync(join(tmpdir(), "vizochok-kit-init-"));
const store = join(work, "my-store");
const withoutSecret = Object.fromEntries(Object.entries(quietNpm).filter(([name]) => name !== "VIZOCHOK_WEBHOOK_SECRET"));
let child: ChildProcess | undefined;
let initOutput = "";

beforeAll(() => {
  const { project, tarball } = packedKit();
  const init = spawnSync(join(project, "node_modules", ".bin", "vizochok-kit"), ["init", "my-store"], { cwd: work, encoding: "utf8" });
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
  initOutput = init.stdout;
  const install = spawnSync("npm", ["install", tarball, "--prefer-offline", "--ignore-scripts"], { cwd: store, env: quietNpm, encoding: "utf8" });
  if (install.status !== 0) throw new Error(`npm install in the written project failed:\n${install.stderr}`);
  // better-sqlite3's install script compiles its binding (minutes on two cores); the test reuses
  // the binding this repository already compiled for the same Node instead.
  cpSync(join(root, "node_modules", "better-sqlite3", "build"), join(store, "node_modules", "better-sqlite3", "build"), { recursive: true });
}, 600_000);

afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null) {
    process.kill(-child.pid, "SIGTERM");
    await new Promise((resolve) => child!.once("exit", resolve));
  }
  rmSync(work, { recursive: true, force: true });
});

describe("vizochok-kit init", () => {
  it("the README's init block is the commands this test runs", () => {
    const block = blockNamed(readmeBlocks(readFileSync(join(root, "README.md"), "utf8")), "init");
    expect(shellCommands(block)).toEqual(["npx vizochok-kit init my-store", "cd my-store && npm install && npm start", "npm run contract"]);
  });

  it("writes a project of its own: package.json with start, the store's sources, catalog and contract config", () => {
    expect(initOutput).toContain("cd my-store && npm install && npm start");
    const manifest = JSON.parse(readFileSync(join(store, "package.json"), "utf8")) as { name: string; scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(manifest.name).toBe("my-store");
    expect(manifest.scripts.start).toBe("tsx src/main.ts");
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["better-sqlite3", "express", "pg", "tsx", "vizochok-merchant-kit", "zod"]);
    const written = readdirSync(join(store, "src"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts")).sort();
    const expected = readdirSync(join(root, "reference-store"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts") && file !== "demo.ts").sort();
    expect(written).toContain(join("postgres", "app.ts"));
    expect(written).toEqual(expected);
    for (const file of written) expect(readFileSync(join(store, "src", file), "utf8")).toBe(readFileSync(join(root, "reference-store", file), "utf8"));
    expect(existsSync(join(store, "fixtures", "catalog.json"))).toBe(true);
    expect(readFileSync(join(store, "contract.json"), "utf8")).toBe(readFileSync(join(root, "fixtures", "reference-store.contract.json"), "utf8"));
  });

  it("allows the install script of every installed package that has one, so npm install warns of none", () => {
    const manifest = JSON.parse(readFileSync(join(store, "package.json"), "utf8")) as { allowScripts: Record<string, boolean> };
    const installed = JSON.parse(readFileSync(join(store, "node_modules", ".package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(installed.packages)
      .filter(([, entry]) => entry.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts).toContain("better-sqlite3");
    expect(withScripts.filter((name) => manifest.allowScripts[name] !== true)).toEqual([]);
  });

  it("refuses to write over an existing project", () => {
    const { project } = packedKit();
    const again = spawnSync(join(project, "node_modules", ".bin", "vizochok-kit"), ["init", "my-store"], { cwd: work, encoding: "utf8" });
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("already has");
  });

  it("npm start serves the store, and it passes vizochok-kit contract", { timeout: 180_000 }, async () => {
    // As the README's block runs it: no VIZOCHOK_WEBHOOK_SECRET, so the store generates one.
    child = spawn("npm", ["start"], { cwd: store, env: { ...withoutSecret, PORT: "0" }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const port = await new Promise<number>((resolve, reject) => {
      child!.once("exit", (code) => reject(new Error(`npm start exited ${code}: ${stderr}`)));
      createInterface({ input: child!.stdout! }).on("line", (line) => {
        if (!line.startsWith("{")) return;
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === "listening" && entry.port !== undefined) resolve(entry.port);
      });
    });
    expect(existsSync(join(store, "data", "store.db"))).toBe(true);
    expect(readFileSync(join(store, "data", "webhook-secret"), "utf8")).toMatch(/^whsec_/);
    // The README's `npm run contract` in another terminal: it finds the secret the store kept.
    const contract = spawnSync("npm", ["run", "contract"], { cwd: store, env: { ...withoutSecret, PORT: String(port) }, encoding: "utf8" });
    expect(contract.stdout).toMatch(/\b[1-9]\d* passed, 0 failed/);
    // Its config names the out-of-stock and limited SKUs, so no case is skipped for want of data.
    expect(contract.stdout).not.toMatch(/\b[1-9]\d* skipped/);
    expect(contract.status).toBe(0);
    // With the variable set, the script uses it instead: a secret the store does not know is refused.
    const wrong = spawnSync("npm", ["run", "contract"], { cwd: store, env: { ...withoutSecret, PORT: String(port), VIZOCHOK_WEBHOOK_SECRET: "whsec_not_the_stores" }, encoding: "utf8" });
    expect(wrong.stderr + wrong.stdout).toContain("the secrets differ");
    expect(wrong.status).toBe(3);
  });
});
