import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface StoreProcess {
  /** `http://127.0.0.1:PORT/api/vizochok` */
  webhookBaseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Runs the reference store as `npm run store` does, on a free port with a temporary database. */
export async function startStoreProcess(secret: string): Promise<StoreProcess> {
  const dir = await mkdtemp(join(tmpdir(), "contract-store-"));
  const child = spawn(process.execPath, ["--import", "tsx", "reference-store/main.ts"], {
    env: { ...process.env, PORT: "0", DATABASE_PATH: join(dir, "store.db"), VIZOCHOK_WEBHOOK_SECRET: secret },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the store exited with ${code} before listening`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === "listening" && entry.port !== undefined) resolve(entry.port);
      });
    });
    return { webhookBaseUrl: `http://127.0.0.1:${port}/api/vizochok`, child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
