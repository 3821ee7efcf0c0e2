// Runs `npm run store`'s entry point as a child process and waits for its "listening" log line.
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../reference-store/main.ts", import.meta.url));

/**
 * A hang bound for tests that start store processes: starting one (tsx compiling on start) has
 * taken most of vitest's default 20 s on two cores shared with other work. It measures nothing.
 */
export const SPAWNED_PROCESS_TIMEOUT_MS = 90_000;

export interface StoreProcess {
  url: string;
  child: ChildProcess;
  /** Everything printed so far on stdout and on stderr. */
  output(): { stdout: string; stderr: string };
  /** Every JSON log line printed so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the first log line (already printed or still to come) whose `msg` is `message`. */
  waitForLog(message: string): Promise<Record<string, unknown>>;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, no questions asked. */
  kill(): Promise<void>;
}

/** `script` defaults to `npm run store`'s entry point; tests may run their own variant of it. */
export async function spawnStore(env: Record<string, string | undefined>, script = MAIN): Promise<StoreProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: "0", ...env };
  for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
  const child = spawn(process.execPath, ["--import", "tsx", script], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const logs: Record<string, unknown>[] = [];
  const logged = new EventEmitter();
  let stderr = "";
  let stdout = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      logged.emit("line", entry);
      if (entry["msg"] === "listening" && typeof entry["port"] === "number") resolve(entry["port"]);
    });
    void exited.then((code) => reject(new Error(`store exited with ${code} before listening: ${stderr}${stdout}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => ({ stdout, stderr }),
    logs,
    waitForLog(message) {
      const seen = logs.find((entry) => entry["msg"] === message);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const listener = (entry: Record<string, unknown>) => {
          if (entry["msg"] !== message) return;
          logged.off("line", listener);
          resolve(entry);
        };
        logged.on("line", listener);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
