import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CliIo } from "../../src/cli/io.js";

export interface FakeIo extends CliIo {
  out(): string;
  err(): string;
}

/** An in-memory terminal (or pipe) for `runCli`, with files relative to the repository. */
export function createFakeIo(options: { stdin?: string; isTTY?: boolean; env?: Record<string, string>; now?: () => number } = {}): FakeIo {
  let out = "";
  let err = "";
  const cwd = process.cwd();
  return {
    stdout: { write: (text) => void (out += text), isTTY: options.isTTY ?? false },
    stderr: { write: (text) => void (err += text), isTTY: options.isTTY ?? false },
    readStdin: async () => (options.stdin === undefined ? undefined : Buffer.from(options.stdin)),
    env: options.env ?? {},
    cwd,
    readFile: (path) => readFile(resolve(cwd, path), "utf8"),
    writeFile: (path, text) => writeFile(resolve(cwd, path), text),
    now: options.now ?? Date.now,
    out: () => out,
    err: () => err,
  };
}

export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "vizochok-kit-cli-"));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
