import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Resolves when `text` has printed a line matching `pattern`, with its first group. */
function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match?.[1]) {
        child.stdout?.off("data", onData);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing ${pattern}:\n${seen}`)));
  });
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
  let dir: string | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves the page and the stub, then stops both cleanly on Ctrl-C", async () => {
    dir = await mkdtemp(join(tmpdir(), "vizochok-npm-start-"));
    const started = performance.now();
    // Its own process group, so SIGINT reaches npm, tsx and node together, like Ctrl-C.
    child = spawn("npm", ["start", "--silent"], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PORT: "0", STUB_PORT: "0", DATABASE_PATH: join(dir, "store.db") },
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));

    const storeUrl = await waitForLine(child, /Storefront \+ chat\s+(\S+)/);
    const page = await fetch(storeUrl);
    const servedAfterMs = performance.now() - started;
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("VIZOCHOK demo storefront");
    console.log(`npm start served the page ${Math.round(servedAfterMs)} ms after spawn`);

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

    const storePort = Number(new URL(storeUrl).port);
    const stubPort = Number(new URL(config.wsUrl).port);
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    process.kill(-(child.pid ?? 0), "SIGINT");
    const [code, signal] = await exited;
    // npm's own configuration warnings are not the demo's.
    const errors = stderr.split("\n").filter((line) => line.trim() !== "" && !/^npm warn/i.test(line));
    expect({ code, signal, errors }).toEqual({ code: 0, signal: null, errors: [] });
    expect(await portIsClosed(storePort)).toBe(true);
    expect(await portIsClosed(stubPort)).toBe(true);
  });
});
