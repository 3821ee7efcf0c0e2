import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STOPPED = "Stopped: the stub and the store are closed.";

interface RunningDemo {
  child: ChildProcess;
  storeUrl: string;
  spawnedToPageMs: number;
  databaseDir: string;
  output(): string;
  /** stderr without npm's own configuration warnings. */
  errors(): string[];
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

afterEach(async () => {
  // Every demo is gone before its directory is removed: a process still running could recreate
  // its database files there while they are being deleted.
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
    const exited = once(child, "exit");
    process.kill(-child.pid, "SIGKILL");
    await exited;
  }
  children.clear();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs.clear();
});

/** Spawns the demo in its own process group with free ports and a fresh database, and loads the page. */
async function runDemo(command: string, args: string[], env: Record<string, string> = {}): Promise<RunningDemo> {
  const dir = await mkdtemp(join(tmpdir(), "vizochok-npm-start-"));
  dirs.add(dir);
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VIZOCHOK_WEBHOOK_SECRET: "", PORT: "0", STUB_PORT: "0", DATABASE_PATH: join(dir, "store.db"), ...env },
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const storeUrl = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Storefront \+ chat\s+(\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before serving:\n${stdout}\n${stderr}`)));
  });
  const page = await fetch(storeUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("VIZOCHOK demo storefront");
  return {
    child,
    storeUrl,
    spawnedToPageMs: performance.now() - started,
    output: () => stdout,
    databaseDir: dir,
    errors: () => stderr.split("\n").filter((line) => line.trim() !== "" && !/^npm warn/i.test(line)),
  };
}

/** Authenticates on the stub's chat WebSocket the way the page does; returns the stub's port. */
async function authenticateOnStub(storeUrl: string): Promise<number> {
  const config = (await (await fetch(new URL("/demo/config.json", storeUrl))).json()) as {
    wsUrl: string;
    publicKey: string;
    storeId: string;
  };
  const socket = new WebSocket(config.wsUrl);
  await once(socket, "open");
  socket.send(JSON.stringify({ type: "auth", token: config.publicKey, store_id: config.storeId, user_id: "npm-start" }));
  const [first] = (await once(socket, "message")) as [Buffer];
  expect(JSON.parse(first.toString())).toEqual({ type: "auth_ok" });
  socket.close();
  await once(socket, "close");
  return Number(new URL(config.wsUrl).port);
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("npm start", () => {
  it("serves the page and the stub, and Ctrl-C closes both", async () => {
    const demo = await runDemo("npm", ["start"]);
    console.log(`npm start served the page ${Math.round(demo.spawnedToPageMs)} ms after spawn`);
    const stubPort = await authenticateOnStub(demo.storeUrl);
    const storePort = Number(new URL(demo.storeUrl).port);

    // "close", not "exit": the last lines of output can still be in the pipe when the process exits.
    const exited = once(demo.child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
    // Ctrl-C signals the whole foreground process group: npm, its shell and node.
    process.kill(-(demo.child.pid ?? 0), "SIGINT");
    const [code, signal] = await exited;

    expect(demo.output()).toContain(STOPPED);
    // npm reports how its shell ended: dash (Debian's /bin/sh) re-raises the SIGINT it got
    // once its child has exited; bash exits with the child's 0.
    expect(code === 0 || signal === "SIGINT").toBe(true);
    expect(demo.errors()).toEqual([]);
    expect(await portIsClosed(storePort)).toBe(true);
    expect(await portIsClosed(stubPort)).toBe(true);
  }, 60_000);

  it("the demo process exits 0 on SIGINT with both ports closed", async () => {
    const demo = await runDemo(process.execPath, ["--import", "tsx", "reference-store/demo.ts"]);
    const stubPort = await authenticateOnStub(demo.storeUrl);
    const storePort = Number(new URL(demo.storeUrl).port);

    const exited = once(demo.child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
    demo.child.kill("SIGINT");
    expect(await exited).toEqual([0, null]);
    expect(demo.output()).toContain(STOPPED);
    expect(demo.errors()).toEqual([]);
    expect(await portIsClosed(storePort)).toBe(true);
    expect(await portIsClosed(stubPort)).toBe(true);
  }, 60_000);

  it("prints a secret from VIZOCHOK_WEBHOOK_SECRET only redacted, on stdout and stderr alike", async () => {
    const secret = `whsec_1a2b${"5e".repeat(30)}`;
    const demo = await runDemo(process.execPath, ["--import", "tsx", "reference-store/demo.ts"], { VIZOCHOK_WEBHOOK_SECRET: secret });
    await authenticateOnStub(demo.storeUrl);
    const exited = once(demo.child, "close");
    demo.child.kill("SIGINT");
    await exited;
    expect(demo.output()).toMatch(/Webhook secret\s+whsec_1a2b…\s+\(from VIZOCHOK_WEBHOOK_SECRET\)/);
    expect(demo.output()).not.toContain(secret.slice(0, 12));
    expect(demo.errors().join("\n")).not.toContain(secret.slice(0, 12));
    expect(existsSync(join(demo.databaseDir, "webhook-secret"))).toBe(false);
  }, 60_000);

  it("prints a generated development secret whole, with where it is kept", async () => {
    const first = await runDemo(process.execPath, ["--import", "tsx", "reference-store/demo.ts"]);
    const file = join(first.databaseDir, "webhook-secret");
    const exited = once(first.child, "close");
    first.child.kill("SIGINT");
    await exited;
    const kept = readFileSync(file, "utf8").trim();
    expect(first.output()).toContain(`Webhook secret      ${kept}  (generated for development, kept in ${file})`);
  }, 60_000);
});
