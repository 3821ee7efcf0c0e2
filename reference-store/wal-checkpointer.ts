import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Database } from "better-sqlite3";
import type { WebhookLogger } from "vizochok-merchant-kit";

export interface WalCheckpointerOptions {
  /** Checkpoint this often while the WAL grows. Default 10 ms. */
  busyIntervalMs?: number;
  /** Backs off to this interval while nothing is written. Default 250 ms. */
  idleIntervalMs?: number;
  /**
   * The WAL starts over (from its first frame, which makes the writer sync its header) only once
   * it holds this many pages. Default 4,000 (16 MB of 4 KB pages); below the request
   * connection's fallback checkpoint at 10,000, so the thread's restart comes first.
   */
  restartPages?: number;
  /** Where a checkpointer that failed is reported. */
  logger?: Pick<WebhookLogger, "error">;
}

export interface WalCheckpointer {
  /** Stops the thread and closes its connections; call it before closing `db`. */
  stop(): Promise<void>;
}

/**
 * The WAL of the request connection may reach this many pages before it checkpoints on its own,
 * in the commit that crosses it: a fallback for a checkpointer thread that cannot keep up.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;
/** SQLite's default, and what the request connection goes back to if the thread fails. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;
/** The WAL starts over once it holds this many pages (see `restartPages`). */
export const DEFAULT_RESTART_PAGES = 4_000;

// Plain CommonJS, so the worker needs no TypeScript loader.
//
// Each pass: move the pin, then checkpoint PASSIVE. The pin is a read transaction on a second
// connection, begun at the WAL's end; SQLite never copies frames past a reader's snapshot, so the
// pass copies (and, before copying, syncs) everything written up to the pin, as an unpinned pass
// would. What the pin adds: a reader holding a WAL read slot keeps the WAL from starting over
// (walRestartLog needs every slot but the database-only one free), and a WAL that starts over is
// what makes the writer sync the new header on the request thread. So the pin is let go only once
// the WAL holds restartPages: the next pass copies everything, and the next commit starts over.
// The pin moves only when frames were written past it; moved with none, it would begin in the
// database-only slot (the WAL all copied) and stop nothing.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.path, { timeout: 5000 });
// A checkpoint syncs the WAL before it copies pages and the database file after, whatever the
// connection's setting; NORMAL is what the request connection uses.
db.pragma("synchronous = NORMAL");
const pin = new Database(workerData.path, { timeout: 5000 });
const readSchema = pin.prepare("SELECT count(*) FROM sqlite_schema").pluck();
let pinned = false;
let pinnedThrough = -1;
function letGo() {
  if (pinned) pin.exec("COMMIT");
  pinned = false;
}
function checkpoint() {
  return db.pragma("wal_checkpoint(PASSIVE)")[0];
}
let delay = workerData.busyMs;
let lastLog = -1;
let timer;
function tick() {
  let result = checkpoint();
  if (result.log >= workerData.restartPages) {
    letGo();
    // Unpinned, a pass that copies everything before the next commit lets that commit start the
    // WAL over; while commits keep coming, passes end behind them, so try again at once.
    lastLog = result.log;
    timer = setTimeout(tick, 1);
    return;
  }
  if (!pinned || result.log > pinnedThrough) {
    letGo();
    pin.exec("BEGIN");
    readSchema.get();
    pinned = true;
    result = checkpoint();
    pinnedThrough = result.log;
  }
  const written = result.log !== lastLog;
  lastLog = result.log;
  delay = written ? workerData.busyMs : Math.min(workerData.idleMs, delay * 2);
  timer = setTimeout(tick, delay);
}
timer = setTimeout(tick, delay);
parentPort.once("message", () => {
  clearTimeout(timer);
  letGo();
  pin.close();
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints `db`'s WAL from a worker thread with a connection of its own, in small steps (every
 * 10 ms while requests write), so the fsyncs of a checkpoint never run on the request thread.
 * SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages and
 * fsyncs the WAL and the database file there: at 500 cart adds a second that was a stall of
 * several to tens of milliseconds every ~80 adds (docs/reference-store.md, "WAL checkpoints").
 *
 * The request connection keeps an automatic checkpoint at 10,000 pages as a fallback, and goes
 * back to SQLite's 1,000 if the thread fails (the failure is logged), so the WAL never grows
 * without bound. In-memory databases have no WAL: nothing is started.
 *
 * @example
 * const checkpointer = startWalCheckpointer(db);
 * await checkpointer.stop();
 * db.close();
 */
export function startWalCheckpointer(db: Database, options: WalCheckpointerOptions = {}): WalCheckpointer {
  if (db.memory) return { stop: async () => undefined };
  const restartPages = options.restartPages ?? DEFAULT_RESTART_PAGES;
  if (!Number.isInteger(restartPages) || restartPages < 1 || restartPages >= FALLBACK_AUTOCHECKPOINT_PAGES) {
    throw new RangeError(`restartPages must be a whole number from 1 to ${FALLBACK_AUTOCHECKPOINT_PAGES - 1}; got ${restartPages}`);
  }
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve("better-sqlite3"),
      path: db.name,
      busyMs: options.busyIntervalMs ?? 10,
      idleMs: options.idleIntervalMs ?? 250,
      restartPages,
    },
  });
  worker.unref();
  db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  let stopping = false;
  worker.on("error", (error: unknown) => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    options.logger?.error({ err: error instanceof Error ? error.message : String(error) }, "the WAL checkpointer thread failed; SQLite checkpoints in the request thread instead");
  });
  // Not events.once: it would reject on the "error" above, which is already handled.
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    stop() {
      if (!stopping) {
        stopping = true;
        worker.ref(); // keep the process alive until the thread has closed its connection
        worker.postMessage("stop");
      }
      return exited;
    },
  };
}
