// A client that trickles its request one byte at a time is dropped once the configured head or
// request time is up, while other clients keep being answered. Short limits keep this quick; the
// defaults are documented in reference-store/server.ts and src/testing/stub.ts.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "vizochok-merchant-kit";
import { createVizochokStub, type VizochokStub } from "vizochok-merchant-kit/testing";
import { openRaw } from "../stub/raw-socket.js";
import { STORE_SERVER_TIMEOUTS, startStoreServer, type StoreServer } from "../../reference-store/server.js";

const SHORT = { headersMs: 200, requestMs: 400, keepAliveMs: 100 };

interface Trickle {
  /** The server closed the connection before the client had sent everything. */
  dropped: boolean;
  sent: number;
  answer: string;
}

/** Sends `head` at once, then `slow` one byte every `gapMs`; resolves when the server closes. */
function trickle(url: string, head: string, slow: string, gapMs = 20): Promise<Trickle> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let sent = 0;
    let answer = "";
    let timer: NodeJS.Timeout | undefined;
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ dropped: sent < slow.length, sent, answer });
    });
    socket.write(head);
    const step = () => {
      if (socket.destroyed) return;
      // Everything sent: the client waits for the answer and never closes its side.
      if (sent === slow.length) return;
      socket.write(slow[sent++]!);
      timer = setTimeout(step, gapMs);
    };
    step();
  });
}

/** Normal requests, one after another, for as long as `until` is pending; their statuses. */
async function keepAsking(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.then(() => (done = true));
  const statuses: number[] = [];
  while (!done || statuses.length === 0) statuses.push((await fetch(url)).status);
  return statuses;
}

// 200 header bytes at 20 ms each would take 4 s; 200 body bytes likewise.
const slowHeader = `x-slow: ${"a".repeat(200)}\r\n\r\n`;

describe("reference store server: slow clients", () => {
  let store: StoreServer;
  beforeAll(async () => {
    store = await startStoreServer({ port: 0, host: "127.0.0.1", databasePath: ":memory:", secret: "whsec_slow", logger: silentLogger, timeouts: SHORT });
  });
  afterAll(() => store.close());

  it("drops a client trickling its headers; /healthz keeps answering meanwhile", async () => {
    const slow = trickle(store.url, "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n", slowHeader);
    const statuses = await keepAsking(`${store.url}/healthz`, slow);
    const result = await slow;
    expect(result.dropped).toBe(true);
    expect(result.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it("drops a client trickling its body; the storefront API keeps answering meanwhile", async () => {
    const head = "POST /api/vizochok/cart HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n";
    const slow = trickle(store.url, head, "x".repeat(200));
    const statuses = await keepAsking(`${store.url}/api/products?limit=1`, slow);
    expect((await slow).dropped).toBe(true);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it("closes an idle keep-alive connection after keepAliveMs", async () => {
    const idle = await trickle(store.url, "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n", "");
    // The client sent everything and never closed: the close came from the server.
    expect(idle.answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("without options, the limits are STORE_SERVER_TIMEOUTS, not Node's 60 s / 300 s", async () => {
    const plain = await startStoreServer({ port: 0, host: "127.0.0.1", databasePath: ":memory:", secret: "whsec_slow", logger: silentLogger });
    try {
      expect([plain.server.headersTimeout, plain.server.requestTimeout, plain.server.keepAliveTimeout]).toEqual([
        STORE_SERVER_TIMEOUTS.headersMs,
        STORE_SERVER_TIMEOUTS.requestMs,
        STORE_SERVER_TIMEOUTS.keepAliveMs,
      ]);
      expect(STORE_SERVER_TIMEOUTS.requestMs).toBeLessThan(60_000);
    } finally {
      await plain.close();
    }
  });
});

describe("stub server: slow clients", () => {
  let stub: VizochokStub;
  beforeAll(async () => {
    stub = await createVizochokStub({
      timeouts: SHORT,
      tenants: [{ id: "t", publicKey: "pk_t", secretKey: "sk_t", stores: ["s"], webhooks: { products_url: "http://127.0.0.1:9/p", secret: "whsec_t" } }],
    });
  });
  afterAll(() => stub.close());

  it("drops a client trickling its headers or its catalog upload; the admin API keeps answering", async () => {
    const head = "GET /api/v1/admin/webhooks HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer sk_t\r\n";
    const upload = "PUT /api/v1/catalog/products HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer sk_t\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n";
    const slow = Promise.all([trickle(stub.url, head, slowHeader), trickle(stub.url, upload, "x".repeat(200))]);
    let asked = 0;
    const statuses: number[] = [];
    let done = false;
    void slow.then(() => (done = true));
    while (!done || asked === 0) {
      asked++;
      statuses.push((await fetch(`${stub.url}/api/v1/admin/webhooks`, { headers: { authorization: "Bearer sk_t" } })).status);
    }
    const [headers, body] = await slow;
    expect([headers.dropped, body.dropped]).toEqual([true, true]);
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it("an open chat WebSocket outlives the request limits", async () => {
    const socket = await openRaw(stub.wsUrl);
    socket.send({ type: "auth", token: "pk_t", store_id: "s", user_id: "u" });
    await socket.next("auth_ok");
    // Eight pings 100 ms apart: twice the request limit and eight keep-alive limits.
    for (let i = 0; i < 8; i++) {
      const from = socket.frames.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.send({ type: "ping" });
      await socket.next("pong", from);
    }
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    socket.ws.close();
  });
});
