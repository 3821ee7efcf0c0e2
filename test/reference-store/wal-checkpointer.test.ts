import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { setTimeout as sleep } from "node:timers/promises";
import { startWalCheckpointer } from "../../reference-store/wal-checkpointer.js";
import { useCleanups } from "./cleanups.js";
import { SMALL_CATALOG } from "./helpers.js";
import { walStarts } from "./wal-header.js";

const { defer, tempDir } = useCleanups();

function seededFile() {
  const path = join(tempDir(), "store.db");
  const db = openDatabase(path);
  defer(() => db.open && db.close());
  seedCatalog(db, SMALL_CATALOG);
  return { path, db };
}

describe("startWalCheckpointer()", () => {
  it("copies committed pages from the WAL into the database file from its own thread", async () => {
    const { path, db } = seededFile();
    const before = statSync(path).size;
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);

    const checkpointer = startWalCheckpointer(db, { busyIntervalMs: 5 });
    defer(() => checkpointer.stop());
    // The request connection no longer checkpoints at 1,000 pages: only as a fallback.
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(10_000);
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before), { timeout: 5_000, interval: 10 });
    expect(db.prepare("SELECT COUNT(*) FROM products").pluck().get()).toBe(SMALL_CATALOG.products.length);
  });

  it("stop() resolves once the thread has closed its connection, so closing the database removes the WAL", async () => {
    const { path, db } = seededFile();
    const before = statSync(path).size;
    const checkpointer = startWalCheckpointer(db, { busyIntervalMs: 5 });
    // The thread has its connection open once it has checkpointed.
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before), { timeout: 5_000, interval: 10 });
    await checkpointer.stop();
    db.close();
    // SQLite deletes the WAL only when the last connection to the file closes.
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("a thread that cannot open the database is logged and SQLite checkpoints on its own again", async () => {
    const { path, db } = seededFile();
    // The request connection keeps its open file; the thread finds a directory at the path.
    rmSync(path);
    mkdirSync(path);
    const error = vi.fn();
    const checkpointer = startWalCheckpointer(db, { logger: { error } });
    await checkpointer.stop();
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(String) }), expect.stringContaining("checkpointer"));
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
  });

  it("lets the WAL start over only once it holds restartPages, however often the writes pause", async () => {
    const { path, db } = seededFile();
    db.exec("CREATE TABLE filler (x BLOB)");
    const insert = db.prepare("INSERT INTO filler (x) VALUES (randomblob(3000))");
    const restartPages = 1_000;
    const pageBytes = Number(db.pragma("page_size", { simple: true })) + 24;
    const checkpointer = startWalCheckpointer(db, { busyIntervalMs: 5, restartPages });
    defer(() => checkpointer.stop());
    // Bursts of commits with pauses long enough for several passes: a pass that copies the whole
    // WAL lets the next commit start it over, and each start syncs the header on this thread.
    const bursts = 40;
    const first = walStarts(path) ?? 0;
    let largest = 0;
    for (let burst = 0; burst < bursts; burst++) {
      for (let i = 0; i < 30; i++) insert.run();
      largest = Math.max(largest, statSync(`${path}-wal`).size);
      await sleep(50);
    }
    const starts = (walStarts(path) ?? 0) - first;
    const written = bursts * 30;
    // ~3 frames an insert (its leaf, the table's root, page 1): 3,600 frames, three to four WALs
    // of 1,000. Checkpointing every pass without a pin, the WAL started over after nearly every
    // pause (21–40 times here).
    expect(starts).toBeGreaterThanOrEqual(2);
    expect(starts).toBeLessThanOrEqual(bursts / 4);
    // Bounded: it starts over once a pass copies everything between two commits, which on a slow
    // disk can take a few bursts past restartPages.
    expect(largest / pageBytes).toBeLessThan(3 * restartPages);
    expect(db.prepare("SELECT count(*) FROM filler").pluck().get()).toBe(written);
  });

  it("refuses a restartPages the request connection's fallback would reach first", () => {
    const { db } = seededFile();
    expect(() => startWalCheckpointer(db, { restartPages: 10_000 })).toThrow(/restartPages must be a whole number from 1 to 9999; got 10000/);
    expect(() => startWalCheckpointer(db, { restartPages: 0.5 })).toThrow(/restartPages/);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
  });

  it("starts nothing for an in-memory database", async () => {
    const db = openDatabase(":memory:");
    defer(() => db.close());
    await startWalCheckpointer(db).stop();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
  });
});
