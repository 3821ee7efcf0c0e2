// Request targets no client should send, at every server `npm start` and `npm run store` run:
// each gets an HTTP answer below 500 (or a closed connection for a refused upgrade), and the
// process keeps serving.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SPAWNED_PROCESS_TIMEOUT_MS, spawnStore, type StoreProcess } from "../reference-store/spawn-store.js";
import { rawRequest, sendRaw } from "./raw-http.js";
import { spawnDemo, type DemoProcess } from "./spawn-demo.js";

const HOSTILE = ["//[", "http://[", "%", "%E0%A4%A", "/".repeat(8 * 1024)];
const PREFIXES = ["", "/api/vizochok/cart", "/api/vizochok/cart/items?", "/api/products?q=", "/api/v1/catalog/jobs/", "/api/v1/ws/chat?", "/demo/"];
const targets = [...HOSTILE, ...PREFIXES.filter((p) => p !== "").flatMap((prefix) => HOSTILE.slice(2, 4).map((bad) => prefix + bad))];

async function attack(url: string, headers: Record<string, string> = {}): Promise<string[]> {
  const problems: string[] = [];
  for (const target of targets) {
    for (const [label, request] of [
      ["GET", rawRequest("GET", target, { headers })],
      ["POST", rawRequest("POST", target, { body: "{}", headers })],
      ["PUT", rawRequest("PUT", target, { body: '{"products":[]}', headers })],
      ["upgrade", rawRequest("GET", target, { upgrade: true, headers })],
    ] as const) {
      const answer = await sendRaw(url, request);
      // A refused upgrade may close without a status; anything that answers must answer < 500.
      if (answer.status !== undefined && answer.status >= 500) problems.push(`${label} ${target.slice(0, 40)} → ${answer.status}`);
      if (answer.status === undefined && label !== "upgrade") problems.push(`${label} ${target.slice(0, 40)} → no answer (${answer.error ?? "closed"})`);
    }
  }
  return problems;
}

describe("npm start: hostile request targets", () => {
  let demo: DemoProcess;
  beforeAll(async () => {
    demo = await spawnDemo();
  }, SPAWNED_PROCESS_TIMEOUT_MS);
  afterAll(() => demo.stop());

  it("the stub answers each below 500 and the process keeps serving both servers", async () => {
    const problems = await attack(demo.stubUrl);
    const admin = await attack(demo.stubUrl, { authorization: "Bearer sk_test_demo" });
    expect(demo.child.exitCode, demo.output().stderr).toBeNull();
    expect([...problems, ...admin]).toEqual([]);
    expect((await fetch(`${demo.storeUrl}/healthz`)).status).toBe(200);
    const webhooks = await fetch(`${demo.stubUrl}/api/v1/admin/webhooks`, { headers: { authorization: "Bearer sk_test_demo" } });
    expect(webhooks.status).toBe(200);
  });

  it("the store (with the demo page) answers each below 500 and keeps serving", async () => {
    const problems = await attack(demo.storeUrl);
    expect(demo.child.exitCode, demo.output().stderr).toBeNull();
    expect(problems).toEqual([]);
    expect((await fetch(`${demo.storeUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${demo.storeUrl}/api/products?limit=1`)).status).toBe(200);
  });
});

describe("npm run store: hostile request targets", () => {
  let store: StoreProcess;
  beforeAll(async () => {
    store = await spawnStore({ DATABASE_PATH: ":memory:", VIZOCHOK_WEBHOOK_SECRET: "whsec_hostile" });
  }, SPAWNED_PROCESS_TIMEOUT_MS);
  afterAll(() => store.kill());

  it("answers each below 500 and keeps serving", async () => {
    const problems = await attack(store.url);
    expect(store.child.exitCode, store.output().stderr).toBeNull();
    expect(problems).toEqual([]);
    expect((await fetch(`${store.url}/healthz`)).status).toBe(200);
  });
});
