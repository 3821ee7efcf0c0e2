import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "vizochok-merchant-kit";
import { packedKit, root } from "./packed.js";

// The same signed-webhook scenarios against the installed package's fetch handler on Node, Deno,
// Bun and Cloudflare's workerd (through Miniflare, with no compatibility flags: no node:crypto,
// no Buffer, no process). One process per runtime; every answer is checked on the wire.
const SECRET = "whsec_runtimes";
// The deno and bun npm packages link their platform's binary into node_modules/.bin.
const binary = (name: string) => join(root, "node_modules", ".bin", name);

interface Target {
  origin: string;
  stop(): Promise<void>;
}

let dir = "";
beforeAll(() => {
  dir = join(packedKit().project, "runtimes");
  mkdirSync(dir, { recursive: true });
  cpSync(new URL("./runtimes/", import.meta.url), dir, { recursive: true });
}, 600_000);

async function serve(command: string, args: string[]): Promise<Target> {
  const child: ChildProcess = spawn(command, args, { cwd: dir, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${command} exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function workerd(): Promise<Target> {
  const bundled = await build({
    entryPoints: [join(dir, "worker.mjs")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    absWorkingDir: dir,
  });
  const mf = new Miniflare({ modules: true, script: bundled.outputFiles[0]!.text, compatibilityDate: "2025-01-01", host: "127.0.0.1", port: 0 });
  const url = await mf.ready;
  return { origin: url.origin, stop: () => mf.dispose() };
}

const RUNTIMES: Record<string, () => Promise<Target>> = {
  node: () => serve(process.execPath, ["node.mjs"]),
  deno: () => serve(binary("deno"), ["run", "--allow-net", "--allow-read", "--allow-env", "--allow-sys", "deno.mjs"]),
  bun: () => serve(binary("bun"), ["bun.mjs"]),
  workerd,
};

const json = { "content-type": "application/json" };
const now = () => Math.floor(Date.now() / 1000);

describe.each(Object.keys(RUNTIMES))("on %s", (name) => {
  let target: Target;
  beforeAll(async () => {
    target = await RUNTIMES[name]!();
  }, 120_000);
  afterAll(() => target?.stop());

  const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${target.origin}${path}`, { method: "POST", body, headers: { ...json, ...headers } });
  const cartGet = async (session: string) => {
    const path = `/cart/items?store_id=store-1&session_id=${session}`;
    const response = await fetch(`${target.origin}${path}`, { headers: signWebhook({ secret: SECRET, method: "GET" }) });
    return [response.status, await response.json()] as const;
  };

  it("runs on that runtime", async () => {
    const info = (await (await fetch(`${target.origin}/runtime`)).json()) as { runtime: string; hmac: string };
    expect(info.runtime).toBe(name);
    if (name === "workerd") expect(info.hmac).toBe("web crypto");
  });

  it("valid: all three webhooks answer a signed request", async () => {
    const products = JSON.stringify({ skus: ["milk-001", "bread-9"], store_id: "store-1" });
    const answered = await post("/check-products", products, signWebhook({ secret: SECRET, body: products }));
    expect([answered.status, await answered.json()]).toEqual([200, { products: [{ sku: "milk-001", price: 42.5, in_stock: true }] }]);
    const add = JSON.stringify({ action: "add", store_id: "store-1", session_id: `valid-${name}`, sku: "milk-001", quantity: 2 });
    const added = await post("/cart", add, signWebhook({ secret: SECRET, body: add }));
    expect([added.status, await added.json()]).toEqual([200, { ok: true }]);
    expect(await cartGet(`valid-${name}`)).toEqual([200, { items: [{ sku: "milk-001", name: "milk-001", price: 42.5, quantity: 2 }] }]);
  });

  it("tampered: one changed byte after signing is 401 signature_mismatch and changes nothing", async () => {
    const add = JSON.stringify({ action: "add", store_id: "store-1", session_id: `tampered-${name}`, sku: "milk-001", quantity: 1 });
    const response = await post("/cart", add.replace('"quantity":1', '"quantity":9'), signWebhook({ secret: SECRET, body: add }));
    expect([response.status, ((await response.json()) as { error: string }).error]).toEqual([401, "signature_mismatch"]);
    const wrongSecret = await post("/cart", add, signWebhook({ secret: "whsec_other", body: add }));
    expect(wrongSecret.status).toBe(401);
    expect(await cartGet(`tampered-${name}`)).toEqual([200, { items: [] }]);
  });

  // The exact boundary is tested on an injected clock (test/kit/signature-edges.test.ts); here the
  // runtime's own clock reads the time, and a second that ticks between signing and verifying
  // moves a future timestamp one second closer, so that side keeps a few seconds' margin.
  it("stale and future: 301 s in the past and 305 s ahead are 401", async () => {
    const body = JSON.stringify({ skus: ["milk-001"], store_id: "store-1" });
    const stale = await post("/check-products", body, signWebhook({ secret: SECRET, body, timestamp: now() - 301 }));
    expect([stale.status, ((await stale.json()) as { error: string }).error]).toEqual([401, "timestamp_too_old"]);
    const future = await post("/check-products", body, signWebhook({ secret: SECRET, body, timestamp: now() + 305 }));
    expect([future.status, ((await future.json()) as { error: string }).error]).toEqual([401, "timestamp_too_new"]);
  });

  it("identical: a copy right after the answer is a new add; a copy 1 s or more later gets the recorded answer", async () => {
    const add = JSON.stringify({ action: "add", store_id: "store-1", session_id: `replayed-${name}`, sku: "milk-002", quantity: 1 });
    const headers = signWebhook({ secret: SECRET, body: add });
    const first = await post("/cart", add, headers);
    const second = await post("/cart", add, headers);
    // The shopper's double tap: byte-identical, under 1 s apart, after the first was answered.
    expect([first.status, await first.json(), second.status, await second.json(), second.headers.get("x-vizochok-replayed")]).toEqual([200, { ok: true }, 200, { ok: true }, null]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const redelivered = await post("/cart", add, headers);
    expect([redelivered.status, await redelivered.json(), redelivered.headers.get("x-vizochok-replayed")]).toEqual([200, { ok: true }, "1"]);
    expect(await cartGet(`replayed-${name}`)).toEqual([200, { items: [{ sku: "milk-002", name: "milk-002", price: 42.5, quantity: 2 }] }]);
  });

  it("malformed: bad headers are 401, a signed bad body is missing_params, an unsigned GET is 401", async () => {
    const body = JSON.stringify({ skus: ["milk-001"], store_id: "store-1" });
    const badSignature = await post("/check-products", body, { ...signWebhook({ secret: SECRET, body }), "X-VIZOCHOK-Signature": "sha256=zz" });
    expect([badSignature.status, ((await badSignature.json()) as { error: string }).error]).toEqual([401, "malformed_signature"]);
    const badTimestamp = await post("/check-products", body, { ...signWebhook({ secret: SECRET, body }), "X-VIZOCHOK-Timestamp": "yesterday" });
    expect([badTimestamp.status, ((await badTimestamp.json()) as { error: string }).error]).toEqual([401, "malformed_timestamp"]);
    const broken = "{not json";
    const cart = await post("/cart", broken, signWebhook({ secret: SECRET, body: broken }));
    expect([cart.status, await cart.json()]).toEqual([200, { ok: false, reason: "missing_params" }]);
    const unsigned = await fetch(`${target.origin}/cart/items?store_id=store-1&session_id=x`);
    expect([unsigned.status, ((await unsigned.json()) as { error: string }).error]).toEqual([401, "missing_signature"]);
  });
});
