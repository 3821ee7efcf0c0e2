import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { startWalCheckpointer } from "../../reference-store/wal-checkpointer.js";
import { useCleanups } from "./cleanups.js";
import { SMALL_CATALOG } from "./helpers.js";

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

  it("starts nothing for an in-memory database", async () => {
    const db = openDatabase(":memory:");
    defer(() => db.close());
    await startWalCheckpointer(db).stop();
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
  });
});
