import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { once } from "node:events";
import { signWebhook } from "vizochok-merchant-kit";
import { describe, expect, it } from "vitest";
import { storeServerOptionsFromEnv } from "../../reference-store/server.js";
import { createJsonLogger } from "../../reference-store/json-logger.js";
import { useCleanups } from "./cleanups.js";
import { SECRET } from "./helpers.js";
import { SPAWNED_PROCESS_TIMEOUT_MS, spawnStore } from "./spawn-store.js";

const { defer, tempDir } = useCleanups();

describe("npm run store (reference-store/main.ts)", { timeout: SPAWNED_PROCESS_TIMEOUT_MS }, () => {
  it("creates and seeds the database on first start and prints a structured listening line", async () => {
    const path = join(tempDir(), "nested", "store.db");
    const store = await spawnStore({ DATABASE_PATH: path, VIZOCHOK_WEBHOOK_SECRET: SECRET });
    defer(() => store.stop());
    expect(store.logs.find((l) => l["msg"] === "listening")).toMatchObject({ level: "info", port: expect.any(Number) });
    const health = await fetch(`${store.url}/healthz`);
    expect(await health.json()).toEqual({ ok: true, schema_version: 3 });
    const products = (await (await fetch(`${store.url}/api/products?limit=1`)).json()) as { total: number };
    expect(products.total).toBeGreaterThan(100);
    expect(existsSync(path)).toBe(true);
  });

  it("finishes an in-flight request on SIGTERM, then exits 0", async () => {
    const store = await spawnStore({ DATABASE_PATH: join(tempDir(), "store.db"), VIZOCHOK_WEBHOOK_SECRET: SECRET });
    defer(() => store.stop());
    const body = JSON.stringify({ action: "add", store_id: "store-1", session_id: "late", sku: "milk-001" });
    const headers = signWebhook({ secret: SECRET, body });
    const socket = connect(Number(new URL(store.url).port), "127.0.0.1");
    await once(socket, "connect");
    let answer = "";
    const headersRead = new Promise<void>((resolve) =>
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString();
        if (answer.startsWith("HTTP/1.1 100 Continue")) resolve();
      }),
    );
    // The server answers "100 Continue" once it has the request's headers: the request is in flight.
    socket.write(
      `POST /api/vizochok/cart HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n` +
        `X-VIZOCHOK-Signature: ${headers["X-VIZOCHOK-Signature"]}\r\nX-VIZOCHOK-Timestamp: ${headers["X-VIZOCHOK-Timestamp"]}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
    );
    await headersRead;
    const exit = store.stop();
    await store.waitForLog("shutting down");
    socket.end(body);
    await once(socket, "close");
    expect(answer).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(answer).toContain('{"ok":true}');
    expect(await exit).toBe(0);
    expect(store.logs.map((l) => l["msg"])).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
  });

  it("never prints a secret that came from VIZOCHOK_WEBHOOK_SECRET, not even on shutdown", async () => {
    const secret = `whsec_1a2b${"7f".repeat(30)}`;
    const store = await spawnStore({ DATABASE_PATH: join(tempDir(), "store.db"), VIZOCHOK_WEBHOOK_SECRET: secret });
    defer(() => store.stop());
    const body = JSON.stringify({ store_id: "store-1", skus: ["milk-001"] });
    const response = await fetch(`${store.url}/api/vizochok/check-products`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signWebhook({ secret, body }) },
      body,
    });
    expect(response.status).toBe(200);
    expect(await store.stop()).toBe(0);
    const { stdout, stderr } = store.output();
    expect(stdout).toContain('"msg":"stopped"');
    expect(stdout + stderr).not.toContain(secret.slice(0, 12));
  });

  it("without VIZOCHOK_WEBHOOK_SECRET, generates one, keeps it in the data dir and prints it only once", async () => {
    const dir = tempDir();
    const env = { DATABASE_PATH: join(dir, "store.db"), VIZOCHOK_WEBHOOK_SECRET: undefined, NODE_ENV: undefined };
    const first = await spawnStore(env);
    const printed = first.logs.find((l) => typeof l["secret"] === "string")?.["secret"] as string;
    expect(printed).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, "webhook-secret"), "utf8").trim()).toBe(printed);
    expect(await first.stop()).toBe(0);

    const second = await spawnStore(env);
    defer(() => second.stop());
    expect(second.logs.some((l) => "secret" in l)).toBe(false);
    const body = JSON.stringify({ store_id: "store-1", skus: ["milk-001"] });
    const response = await fetch(`${second.url}/api/vizochok/check-products`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signWebhook({ secret: printed, body }) },
      body,
    });
    expect(response.status).toBe(200);
  });
});

describe("storeServerOptionsFromEnv()", () => {
  const logger = createJsonLogger({ write: () => {} });

  it("defaults to port 3000 and ./data/store.db", () => {
    expect(storeServerOptionsFromEnv({ VIZOCHOK_WEBHOOK_SECRET: SECRET }, logger)).toMatchObject({
      port: 3000,
      databasePath: "./data/store.db",
      secret: SECRET,
    });
  });

  it("refuses to start in production without a secret", () => {
    expect(() => storeServerOptionsFromEnv({ NODE_ENV: "production", DATABASE_PATH: ":memory:" }, logger)).toThrow(/must be set/);
  });

  it("rejects a PORT that is not a port", () => {
    expect(() => storeServerOptionsFromEnv({ PORT: "http", VIZOCHOK_WEBHOOK_SECRET: SECRET }, logger)).toThrow(/PORT/);
  });
});
