// `npm start` on a taken port: one line naming the port and the variable that moves it, exit 1.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let holder: Server;
let takenPort: number;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vizochok-port-taken-"));
  holder = createServer();
  holder.listen(0, "127.0.0.1");
  await once(holder, "listening");
  takenPort = (holder.address() as { port: number }).port;
});

afterAll(async () => {
  holder.close();
  await rm(dir, { recursive: true, force: true });
});

interface Finished {
  code: number | null;
  stdout: string;
  /** stderr without npm's own notices and configuration warnings. */
  errors: string[];
}

async function start(command: string, args: string[], env: Record<string, string>): Promise<Finished> {
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VIZOCHOK_WEBHOOK_SECRET: "", DATABASE_PATH: join(dir, "store.db"), PORT: "0", STUB_PORT: "0", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // "close", not "exit": the last line can still be in the pipe when the process exits.
  const [code] = (await once(child, "close")) as [number | null];
  const errors = stderr.split("\n").filter((line) => line.trim() !== "" && !/^npm (warn|notice)/i.test(line));
  return { code, stdout, errors };
}

const demo = (env: Record<string, string>) => start(process.execPath, ["--import", "tsx", "reference-store/demo.ts"], env);

describe("npm start on a port that is taken", () => {
  it("names PORT when the store's port is taken, in one line, and exits 1", async () => {
    const run = await demo({ PORT: String(takenPort) });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([
      `Port ${takenPort} is already in use (127.0.0.1:${takenPort}), so the store and the page cannot start: ` +
        `set PORT to another port, e.g. PORT=${takenPort + 100} npm start (PORT=0 picks a free one).`,
    ]);
    expect(run.stdout).not.toContain("Storefront");
  }, 60_000);

  it("names STUB_PORT when the stub's port is taken, in one line, and exits 1", async () => {
    const run = await demo({ STUB_PORT: String(takenPort) });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([
      `Port ${takenPort} is already in use (127.0.0.1:${takenPort}), so the VIZOCHOK stub cannot start: ` +
        `set STUB_PORT to another port, e.g. STUB_PORT=${takenPort + 100} npm start (STUB_PORT=0 picks a free one).`,
    ]);
  }, 60_000);

  it("says what a port must be when PORT is not one", async () => {
    const run = await demo({ PORT: "30o0" });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([`PORT must be a port number from 0 to 65535 (0 picks a free one), got "30o0".`]);
  }, 60_000);

  it("through npm itself: the same line, no stack", async () => {
    const run = await start("npm", ["start"], { PORT: String(takenPort) });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(new RegExp(`^Port ${takenPort} is already in use .* set PORT to another port`));
  }, 60_000);
});
