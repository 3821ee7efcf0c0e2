import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { migrate } from "./migrations.js";

export interface OpenDatabaseOptions {
  /** How long a write waits for another process's lock before failing. Default 5,000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) a store database with the settings the store relies on, and
 * migrates it. `":memory:"` gives a private in-memory database.
 *
 * @example
 * const db = openDatabase("./data/store.db");
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path, { timeout: options.busyTimeoutMs ?? 5_000 });
  prepareDatabase(db);
  return db;
}

/**
 * Applies the settings the store relies on to an open connection, and migrates it.
 *
 * @example
 * prepareDatabase(new BetterSqlite3("store.db", { timeout: 5_000 }));
 */
export function prepareDatabase(db: Database): void {
  // WAL: readers never block the writer, and a commit survives a killed process.
  db.pragma("journal_mode = WAL");
  // NORMAL in WAL mode can lose the last commits on power loss, never on a process crash.
  db.pragma("synchronous = NORMAL");
  // SQLite's own checkpoint, inside the commit that takes the WAL past 1,000 pages (its default,
  // set here so a connection opened elsewhere with another value gets it back). The store app
  // moves checkpoints to a thread of their own (wal-checkpointer.ts) and keeps this as a fallback.
  db.pragma("wal_autocheckpoint = 1000");
  db.pragma("foreign_keys = ON");
  migrate(db);
}
