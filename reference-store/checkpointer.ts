import { once } from "node:events";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export interface CheckpointerOptions {
  databasePath: string;
  /** How often the WAL is copied back into the database file. Default 1,000 ms. */
  intervalMs?: number;
}

export interface Checkpointer {
  stop(): Promise<void>;
}

// Plain CommonJS so the worker needs no TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.path, { timeout: 5000 });
const timer = setInterval(() => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {}
}, workerData.intervalMs);
parentPort.once("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints the WAL from a worker thread. SQLite's automatic checkpoint runs inside whichever
 * commit crosses the threshold and fsyncs the database file there, which stalls that request
 * for milliseconds; here the fsync happens off the request thread. PASSIVE never blocks writers.
 *
 * @example
 * const checkpointer = startCheckpointer({ databasePath: "./data/store.db" });
 * await checkpointer.stop();
 */
export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve("better-sqlite3"),
      path: options.databasePath,
      intervalMs: options.intervalMs ?? 1_000,
    },
  });
  worker.unref();
  const exited = once(worker, "exit").then(() => undefined);
  return {
    stop() {
      worker.ref(); // keep the process alive until the worker has closed its connection
      worker.postMessage("stop");
      return exited;
    },
  };
}
