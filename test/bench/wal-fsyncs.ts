// Which thread pays for WAL checkpoints: N distinct signed cart adds over HTTP, one after another,
// through the reference store on a database file, with marker look-ups around the adds so strace
// can count the fsyncs in between by thread. Not a timing benchmark: run it under strace.
//
//   strace -f -y -T -e trace=fsync,fdatasync,access,faccessat,faccessat2 -o trace.txt \
//     node --import tsx test/bench/wal-fsyncs.ts                  # the store as it runs
//   STORE_CHECKPOINTS=sqlite strace … node --import tsx test/bench/wal-fsyncs.ts   # SQLite's own
//   STORE_SYNCHRONOUS=FULL strace … node --import tsx test/bench/wal-fsyncs.ts     # a WAL sync per commit
//
// The lines between the look-ups of "wal-fsyncs-start" and "wal-fsyncs-end" are the adds; the
// process's first thread is the request thread. `N=…` sets the count (default 1,000).
//
// Without strace it still prints how often the WAL started over during the adds (the checkpoint
// sequence number in the WAL's header; each start is one header sync by the writer) and the
// largest the WAL file grew, in pages.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "vizochok-merchant-kit";
import { createStoreApp } from "../../reference-store/app.js";
import { Catalog, DEFAULT_CATALOG_PATH, loadCatalog } from "../../reference-store/catalog.js";
import { openDatabase } from "../../reference-store/database.js";
import { seedCatalog } from "../../reference-store/seed.js";
import { walStarts } from "../reference-store/wal-header.js";
import { BENCH_SECRET, signedPool } from "./harness.js";

const fixture = loadCatalog(DEFAULT_CATALOG_PATH);
const dir = mkdtempSync(join(tmpdir(), "wal-fsyncs-"));
const path = join(dir, "store.db");
const seed = Catalog.parse({ ...fixture, offers: fixture.offers.map((offer) => ({ ...offer, stock: 10_000_000 })) });
// Seeded and closed first, so the adds start on an empty WAL (closing the last connection
// checkpoints the WAL into the file and deletes it).
const seeding = openDatabase(path);
seedCatalog(seeding, seed);
seeding.close();
// A database passed in keeps SQLite's own checkpoints; one the app opens gets the checkpointer.
const where = process.env.STORE_CHECKPOINTS === "sqlite" ? { db: openDatabase(path) } : { databasePath: path };
const store = createStoreApp({ ...where, secret: BENCH_SECRET, seed, logger: silentLogger });
// The request connection's setting; the checkpointer thread keeps NORMAL (a checkpoint syncs anyway).
const synchronous = process.env.STORE_SYNCHRONOUS ?? "NORMAL";
if (synchronous !== "NORMAL" && synchronous !== "FULL") throw new Error(`STORE_SYNCHRONOUS must be NORMAL or FULL, not ${synchronous}`);
store.db.pragma(`synchronous = ${synchronous}`);
const server = store.app.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/vizochok/cart`;
const total = Number(process.env.N ?? 1_000);
const pool = signedPool(total, (n) => ({ action: "add", store_id: "store-1", session_id: `wal-${n}`, sku: "milk-001", quantity: 1 }));

const startsBefore = walStarts(path) ?? 0;
let walBytes = 0;
existsSync(join(dir, "wal-fsyncs-start"));
for (const signed of pool) {
  const response = await fetch(url, { method: "POST", headers: signed.headers, body: signed.body });
  const text = await response.text();
  if (text !== '{"ok":true}') throw new Error(`an add was answered ${response.status} ${text}`);
  walBytes = Math.max(walBytes, statSync(`${path}-wal`).size);
}
existsSync(join(dir, "wal-fsyncs-end"));
const starts = (walStarts(path) ?? 0) - startsBefore;
const pageSize = Number(store.db.pragma("page_size", { simple: true }));
const added = store.db.prepare("SELECT count(*) FROM cart_lines").pluck().get();
if (added !== total) throw new Error(`${total} adds answered ok but ${String(added)} cart lines were written`);
console.log(`${total} adds, ${String(added)} cart lines; the WAL started over ${starts} times, at most ${Math.round((walBytes - 32) / (pageSize + 24))} pages`);
server.close();
await store.close();
if (where.db !== undefined) where.db.close();
rmSync(dir, { recursive: true, force: true });
