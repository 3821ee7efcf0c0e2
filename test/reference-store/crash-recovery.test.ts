// Real processes: a store killed with SIGKILL at an injected point, restarted on the same
// database file, and sent the same signed bytes again.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../reference-store/database.js";
import { reservationMismatches, SECRET, createTestApp, makeTempDir, signedPost } from "./helpers.js";
import { SPAWNED_PROCESS_TIMEOUT_MS, spawnStore, type StoreProcess } from "./spawn-store.js";

const CRASHING_STORE = fileURLToPath(new URL("./crashing-store.ts", import.meta.url));

const cleanups: (() => void | Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function crashOnAdd(point: "before-commit" | "after-commit") {
  const temp = makeTempDir();
  cleanups.push(temp.remove);
  const path = join(temp.dir, "store.db");
  const dying = await spawnStore({ DATABASE_PATH: path, CRASH_AT: point }, CRASHING_STORE);
  cleanups.push(() => dying.kill());
  const signed = signedPost({ action: "add", store_id: "store-1", session_id: "shopper", sku: "milk" });
  const reply = await fetch(`${dying.url}/api/vizochok/cart`, { method: "POST", headers: signed.headers, body: signed.body }).catch(
    (error: unknown) => error,
  );
  await dying.stop();
  return { path, signed, reply, dying };
}

function rowsIn(path: string) {
  const db = openDatabase(path);
  try {
    return {
      lines: db.prepare("SELECT l.sku, l.quantity_milli FROM carts c JOIN cart_lines l USING (cart_id)").all(),
      okAudits: db.prepare("SELECT COUNT(*) FROM webhook_audit WHERE kind = 'cart' AND outcome = 'ok'").pluck().get(),
      guard: db.prepare("SELECT status, body, answered_at IS NOT NULL AS answered FROM replay_guard").all(),
      mismatches: reservationMismatches(db),
    };
  } finally {
    db.close();
  }
}

const killed = (process: StoreProcess) => process.child.signalCode;

describe("a store process SIGKILLed while answering a cart add, restarted on the same file", { timeout: SPAWNED_PROCESS_TIMEOUT_MS }, () => {
  it("killed before COMMIT: nothing is on disk; the re-delivery, once the 5 s takeover has passed, applies the add once", async () => {
    const { path, signed, reply, dying } = await crashOnAdd("before-commit");
    expect(killed(dying)).toBe("SIGKILL");
    expect(reply).toBeInstanceOf(Error); // the connection dropped: VIZOCHOK saw no answer
    expect(rowsIn(path)).toEqual({ lines: [], okAudits: 0, guard: [{ status: null, body: null, answered: 0 }], mismatches: [] });

    // Restarted in this process with its clock 5 s ahead, so the takeover needs no waiting.
    const restarted = createTestApp({ databasePath: path, now: () => Date.now() + 5_000 });
    cleanups.push(() => restarted.close());
    const redelivered = await request(restarted.app).post("/api/vizochok/cart").set(signed.headers).send(signed.body);
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toEqual({ ok: true });
    await restarted.close();
    expect(rowsIn(path)).toMatchObject({ lines: [{ sku: "milk", quantity_milli: 1_000 }], okAudits: 1, mismatches: [] });
  });

  it("killed after COMMIT, before answering: the restarted `npm run store` replays the recorded answer and changes nothing", async () => {
    const { path, signed, reply, dying } = await crashOnAdd("after-commit");
    expect(killed(dying)).toBe("SIGKILL");
    expect(reply).toBeInstanceOf(Error);
    const onDisk = { lines: [{ sku: "milk", quantity_milli: 1_000 }], okAudits: 1, guard: [{ status: 200, body: `{"ok":true}`, answered: 0 }], mismatches: [] };
    expect(rowsIn(path)).toEqual(onDisk);

    const restarted = await spawnStore({ DATABASE_PATH: path, VIZOCHOK_WEBHOOK_SECRET: SECRET });
    cleanups.push(() => restarted.kill());
    const redelivered = await fetch(`${restarted.url}/api/vizochok/cart`, { method: "POST", headers: signed.headers, body: signed.body });
    expect(redelivered.status).toBe(200);
    expect(redelivered.headers.get("x-vizochok-replayed")).toBe("1");
    expect(await redelivered.json()).toEqual({ ok: true });
    expect(await restarted.stop()).toBe(0);
    expect(rowsIn(path)).toEqual({ ...onDisk, guard: [{ status: 200, body: `{"ok":true}`, answered: 0 }] });
  });
});
