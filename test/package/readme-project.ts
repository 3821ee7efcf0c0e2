import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { quietNpm, root } from "./packed.js";

// A merchant's project built from the README alone: its install blocks run as written (the
// package name swapped for the packed tarball), its TypeScript blocks saved as files. What a
// block leaves to its surroundings (a port, the handlers module, a catalog file) comes from a
// harness next to it, never from an edit of the block.

export interface ReadmeBlock {
  /** The info string's second word: ```ts quick-start → "quick-start". */
  name: string;
  lang: string;
  code: string;
}

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  return [...markdown.matchAll(/^```(\S+)(?: (\S+))?\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, name: match[2] ?? "", code: match[3]! }));
}

export function blockNamed(blocks: ReadmeBlock[], name: string): string {
  const block = blocks.find((candidate) => candidate.name === name);
  if (block === undefined) throw new Error(`README has no block named ${name}`);
  return block.code;
}

/** The shell commands of a block: comments dropped, `\` continuations joined. */
export function shellCommands(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** Runs an `npm install` line of the README with the kit taken from the tarball. */
export function runInstall(command: string, project: string, tarball: string): void {
  const args = command.split(/\s+/).slice(1).map((arg) => (arg === "vizochok-merchant-kit" ? tarball : arg));
  if (command.split(/\s+/)[0] !== "npm" || args[0] !== "install") throw new Error(`not an npm install line: ${command}`);
  const install = spawnSync("npm", [...args, "--prefer-offline", "--ignore-scripts"], { cwd: project, env: quietNpm, encoding: "utf8" });
  if (install.status !== 0) throw new Error(`${command} failed:\n${install.stdout}\n${install.stderr}`);
}

/** better-sqlite3 installed without its install script gets the binding this repository built for the same Node. */
export function copySqliteBinding(project: string): void {
  cpSync(join(root, "node_modules", "better-sqlite3", "build"), join(project, "node_modules", "better-sqlite3", "build"), { recursive: true });
}

/** The quick start's `app.listen(3000)` (or a server's `.listen(3000)`) on a free port, printed as JSON. */
export function onFreePort(code: string): string {
  if (!code.includes(".listen(3000);")) throw new Error("the block no longer ends in .listen(3000)");
  return code.replace(
    ".listen(3000);",
    '.listen(0, "127.0.0.1").once("listening", function (this: import("node:net").Server) {\n  console.log(JSON.stringify({ port: (this.address() as import("node:net").AddressInfo).port }));\n});',
  );
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export const tsxLoader = join(root, "node_modules", "tsx", "dist", "esm", "index.mjs");

export interface Served {
  origin: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts a TypeScript file of the project (through tsx) that prints `{"port": n}` when it listens. */
export async function serveFile(project: string, file: string, env: Record<string, string>): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, ["--import", tsxLoader, file], { cwd: project, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${file} exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8")) as unknown;
}
