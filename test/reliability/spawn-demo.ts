// Runs `npm start`'s entry point as a child process on free ports and a temp database, and reads
// the store's and the stub's addresses from its banner.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DEMO = fileURLToPath(new URL("../../reference-store/demo.ts", import.meta.url));

export interface DemoProcess {
  child: ChildProcess;
  storeUrl: string;
  stubUrl: string;
  databasePath: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string | null>;
  output(): { stdout: string; stderr: string };
  stop(): Promise<void>;
}

export async function spawnDemo(env: Record<string, string> = {}): Promise<DemoProcess> {
  const dir = mkdtempSync(join(tmpdir(), "vizochok-demo-"));
  const databasePath = join(dir, "store.db");
  const child = spawn(process.execPath, ["--import", "tsx", DEMO], {
    env: { ...process.env, VIZOCHOK_WEBHOOK_SECRET: "", PORT: "0", STUB_PORT: "0", DATABASE_PATH: databasePath, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit").then(([code, signal]) => (code as number | null) ?? (signal as string | null));
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const urls = await new Promise<{ storeUrl: string; stubUrl: string }>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const store = /Storefront \+ chat\s+(\S+)/.exec(stdout)?.[1];
      const stub = /VIZOCHOK stub\s+(\S+)/.exec(stdout)?.[1];
      if (store !== undefined && stub !== undefined) resolve({ storeUrl: store.replace("localhost", "127.0.0.1").replace(/\/$/, ""), stubUrl: stub });
    });
    void exited.then((code) => reject(new Error(`demo exited with ${code} before serving:\n${stdout}\n${stderr}`)));
  });
  return {
    child,
    ...urls,
    databasePath,
    exited,
    output: () => ({ stdout, stderr }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
