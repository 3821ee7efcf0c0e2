import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";

/** Everything a command touches outside itself, so tests run commands in-process. */
export interface CliIo {
  stdout: { write(text: string): void; isTTY?: boolean };
  stderr: { write(text: string): void; isTTY?: boolean };
  /** Reads all of stdin as bytes; `undefined` when stdin is a terminal (nothing piped). */
  readStdin(): Promise<Buffer | undefined>;
  env: Record<string, string | undefined>;
  cwd: string;
  readFile(path: string): Promise<string>;
  writeFile(path: string, text: string): Promise<void>;
  now(): number;
}

/** The real process: its streams, environment and files. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    async readStdin() {
      if (process.stdin.isTTY === true) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    env: process.env,
    cwd: process.cwd(),
    readFile: (path) => readFile(resolve(process.cwd(), path), "utf8"),
    writeFile: (path, text) => writeFile(resolve(process.cwd(), path), text),
    now: Date.now,
  };
}
