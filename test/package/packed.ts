import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const quietNpm = { ...process.env, npm_config_loglevel: "error", npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" };

export interface PackedKit {
  /** The `npm pack` tarball, built from a staging copy so the repository's own dist/ is untouched. */
  tarball: string;
  /** A fresh project (`"type": "module"`, no other dependency) with the tarball installed. */
  project: string;
  /** Everything `npm install <tarball>` printed, for counting packages and install scripts. */
  installLog: string;
}

let cached: PackedKit | undefined;

/**
 * The packed package and one project that installed it, shared by every test file in the run:
 * the first caller builds them (under a lock directory), the others wait for `ready.json`.
 */
export function packedKit(): PackedKit {
  if (cached !== undefined) return cached;
  const dir = inject("packageWorkDir");
  const ready = join(dir, "ready.json");
  const failed = join(dir, "failed.txt");
  let owner = false;
  try {
    mkdirSync(join(dir, "lock"));
    owner = true;
  } catch {
    owner = false;
  }
  if (owner) {
    try {
      writeFileSync(ready, JSON.stringify(build(dir)));
    } catch (error) {
      writeFileSync(failed, error instanceof Error ? (error.stack ?? error.message) : String(error));
      throw error;
    }
  } else {
    const deadline = Date.now() + 300_000;
    while (!existsSync(ready)) {
      if (existsSync(failed)) throw new Error(`packing the kit failed in another test file:\n${readFileSync(failed, "utf8")}`);
      if (Date.now() > deadline) throw new Error("packing the kit took more than 300 s");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  cached = JSON.parse(readFileSync(ready, "utf8")) as PackedKit;
  return cached;
}

function build(dir: string): PackedKit {
  const stage = join(dir, "stage");
  mkdirSync(join(stage, "fixtures"), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files: string[] };
  for (const entry of manifest.files) {
    if (entry.startsWith("!") || entry === "dist") continue;
    // A glob ("reference-store/*.ts") copies its directory; npm pack applies the pattern.
    const path = entry.includes("*") ? entry.slice(0, entry.indexOf("/")) : entry;
    if (existsSync(join(stage, path)) && entry.includes("*")) continue;
    if (existsSync(join(root, path))) cpSync(join(root, path), join(stage, path), { recursive: true });
  }
  for (const file of ["package.json", "bin", "tsconfig.json", "tsconfig.build.json"]) cpSync(join(root, file), join(stage, file), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(stage, "node_modules"), "dir");
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: stage });
  // Built in the stage, so declaration maps point at the stage's src/, which is what ships.
  execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: stage, env: quietNpm, stdio: "ignore" });
  const tarball = join(dir, readdirSync(dir).find((file) => file.endsWith(".tgz"))!);
  const project = join(dir, "shop");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "shop", private: true, type: "module" }));
  const install = spawnSync("npm", ["install", tarball, "--prefer-offline", "--ignore-scripts", "--foreground-scripts"], { cwd: project, env: quietNpm, encoding: "utf8" });
  if (install.status !== 0) throw new Error(`npm install of the tarball failed:\n${install.stdout}\n${install.stderr}`);
  const installLog = `${install.stdout}\n${install.stderr}`;
  return { tarball, project, installLog };
}
