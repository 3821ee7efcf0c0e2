import Database from "better-sqlite3";
import request from "supertest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAuditLog, type AuditEntry } from "../../reference-store/audit-log.js";
import { createStoreApp } from "../../reference-store/app.js";
import { prepareDatabase } from "../../reference-store/database.js";
import { SECRET, SMALL_CATALOG, createTestApp, makeTempDir, signedPost } from "./helpers.js";
import { silentLogger } from "vizochok-merchant-kit";

afterEach(() => {
  vi.useRealTimers();
});

const read = (n: number): AuditEntry => ({
  at: n,
  request_id: `r${n}`,
  kind: "products",
  action: null,
  store_id: "store-1",
  session_id: null,
  sku: "milk",
  quantity: null,
  outcome: "ok",
  reason: null,
  latency_ms: 0,
});

function tracedDatabase() {
  const executed: string[] = [];
  const db = new Database(":memory:", { verbose: (sql) => executed.push(String(sql)) });
  prepareDatabase(db);
  executed.length = 0;
  return { db, executed, rows: () => db.prepare("SELECT request_id FROM webhook_audit ORDER BY id").pluck().all() };
}

describe("createAuditLog() deferred reads", () => {
  it("writes nothing for a read until the batch is due, then the whole batch in one transaction", () => {
    vi.useFakeTimers();
    const { db, executed, rows } = tracedDatabase();
    const audit = createAuditLog(db, { logger: silentLogger });
    for (let n = 0; n < 3; n++) audit.defer(read(n));
    expect(rows()).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(rows()).toEqual([]);
    executed.length = 0;
    vi.advanceTimersByTime(1);
    expect(rows()).toEqual(["r0", "r1", "r2"]);
    expect(executed.filter((sql) => /^(BEGIN|COMMIT)/.test(sql))).toEqual(["BEGIN", "COMMIT"]);
    db.close();
  });

  it("writes a full batch at once, without waiting for the timer", () => {
    const { db, rows } = tracedDatabase();
    const audit = createAuditLog(db, { logger: silentLogger, maxBatch: 4 });
    for (let n = 0; n < 4; n++) audit.defer(read(n));
    expect(rows()).toHaveLength(4);
    db.close();
  });

  it("logs the rows of a batch it cannot write, and keeps going", () => {
    const { db, rows } = tracedDatabase();
    const errors: Record<string, unknown>[] = [];
    const audit = createAuditLog(db, { logger: { ...silentLogger, error: (fields) => void errors.push(fields) } });
    db.exec(`CREATE TRIGGER audit_fails BEFORE INSERT ON webhook_audit BEGIN SELECT RAISE(ABORT, 'database is locked'); END`);
    audit.defer(read(1));
    audit.flush();
    expect(errors).toMatchObject([{ rows: 1, err: "database is locked" }]);
    db.exec("DROP TRIGGER audit_fails");
    audit.defer(read(2));
    audit.flush();
    expect(rows()).toEqual(["r2"]);
    db.close();
  });
});

describe("the reference store's read path", () => {
  it("a products webhook writes no audit row synchronously; the row lands with the next batch", async () => {
    const app = createTestApp();
    const rows = () => app.db.prepare("SELECT kind FROM webhook_audit").pluck().all();
    const products = signedPost({ store_id: "store-1", skus: ["milk"] });
    const response = await request(app.app).post("/api/vizochok/check-products").set(products.headers).send(products.body);
    expect(response.status).toBe(200);
    expect(rows()).toEqual([]);
    app.audit.flush?.();
    expect(rows()).toEqual(["products"]);
    await app.close();
  });

  it("close() writes the deferred rows before the database closes", async () => {
    const temp = makeTempDir();
    try {
      const databasePath = `${temp.dir}/store.db`;
      const app = createStoreApp({ databasePath, secret: SECRET, seed: SMALL_CATALOG, logger: silentLogger });
      const products = signedPost({ store_id: "store-1", skus: ["milk"] });
      await request(app.app).post("/api/vizochok/check-products").set(products.headers).send(products.body);
      await app.close();
      const reopened = new Database(databasePath, { readonly: true });
      expect(reopened.prepare("SELECT kind, sku FROM webhook_audit").all()).toEqual([{ kind: "products", sku: "milk" }]);
      reopened.close();
    } finally {
      temp.remove();
    }
  });
});
