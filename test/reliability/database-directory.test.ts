// The database's directory disappearing under a running store (a volume unmounted, a test's temp
// dir removed) is not a reason for the process to fail: requests are still answered and close()
// still resolves.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import supertest from "supertest";
import { describe, expect, it } from "vitest";
import { silentLogger } from "vizochok-merchant-kit";
import { createStoreApp } from "../../reference-store/app.js";

describe("createStoreApp() on a file whose directory is removed", () => {
  it("keeps answering /healthz and closes cleanly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "store-gone-"));
    const storeApp = createStoreApp({ databasePath: join(dir, "store.db"), secret: "whsec_gone", logger: silentLogger });
    rmSync(dir, { recursive: true, force: true });
    const health = await supertest(storeApp.app).get("/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true });
    await expect(storeApp.close()).resolves.toBeUndefined();
  });

  it("/healthz answers 503 database_unavailable when the database cannot be read", async () => {
    const storeApp = createStoreApp({ databasePath: ":memory:", secret: "whsec_gone", logger: silentLogger });
    storeApp.db.close();
    const health = await supertest(storeApp.app).get("/healthz");
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ ok: false, error: "database_unavailable" });
  });
});
