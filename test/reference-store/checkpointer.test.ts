import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startCheckpointer } from "../../reference-store/checkpointer.js";
import { openDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { SMALL_CATALOG, makeTempDir } from "./helpers.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("startCheckpointer()", () => {
  it("copies committed pages from the WAL into the database file from its own thread", async () => {
    const temp = makeTempDir();
    cleanups.push(temp.remove);
    const path = join(temp.dir, "store.db");
    const db = openDatabase(path);
    cleanups.push(() => db.close());
    seedCatalog(db, SMALL_CATALOG);
    const before = statSync(path).size;
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);

    const checkpointer = startCheckpointer({ databasePath: path, intervalMs: 10 });
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before), { timeout: 5_000, interval: 10 });
    await checkpointer.stop();
    expect(db.prepare("SELECT COUNT(*) FROM products").pluck().get()).toBe(SMALL_CATALOG.products.length);
  });

  it("stop() resolves once the worker has exited", async () => {
    const temp = makeTempDir();
    cleanups.push(temp.remove);
    const path = join(temp.dir, "store.db");
    openDatabase(path).close();
    await expect(startCheckpointer({ databasePath: path }).stop()).resolves.toBeUndefined();
  });
});
