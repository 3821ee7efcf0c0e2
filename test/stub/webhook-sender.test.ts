// The stub's webhook sender on the wire: what a retailer's server receives for each kind of URL,
// and what the sender records about it.
import { once } from "node:events";
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "vizochok-merchant-kit";
import { CartGetResponse, ProductsResponse } from "../../src/schemas.js";
import { createWebhookSender, type WebhookDelivery, type WebhookTarget } from "../../src/testing/platform/webhook-sender.js";

const SECRET = "whsec_sender_test";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A retailer that records each request and answers `answer`. */
async function startRetailer(answer: unknown): Promise<{ base: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(answer));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { base: `127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function startSender(enforceProductionUrls = false) {
  const deliveries: WebhookDelivery[] = [];
  const sender = createWebhookSender({ retryDelayMs: 1, enforceProductionUrls, now: Date.now, record: (d) => deliveries.push(d) });
  return { sender, deliveries };
}

const target = (url: string, kind: WebhookTarget["kind"] = "products"): WebhookTarget => ({ tenantId: "t", kind, url, secret: SECRET, timeoutMs: 5_000 });
const offers = { products: [{ sku: "milk-001", price: 1.5, in_stock: true }] };

describe("createWebhookSender()", () => {
  it("POST keeps the URL's own query, signs the bytes it sends and records them", async () => {
    const retailer = await startRetailer(offers);
    const { sender, deliveries } = startSender();
    const body = { skus: ["milk-001", "milk-002"], store_id: "store-1" };
    const result = await sender.post(target(`http://${retailer.base}/hooks/products?tenant=a%20b`), body, ProductsResponse);
    sender.close();

    expect(result).toEqual({ ok: true, data: offers });
    const [request] = retailer.received;
    expect(request).toMatchObject({ method: "POST", url: "/hooks/products?tenant=a%20b", body: JSON.stringify(body) });
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers.host).toBe(retailer.base);
    const headers = Object.fromEntries(Object.entries(request!.headers).map(([k, v]) => [k, String(v)]));
    expect(verifyWebhookSignature({ secrets: SECRET, headers, rawBody: request!.body }).ok).toBe(true);

    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ kind: "products", attempt: 1, outcome: "ok", request: { method: "POST", url: `http://${retailer.base}/hooks/products?tenant=a%20b` } });
    expect(deliveries[0]!.request.rawBody).toBe(request!.body);
    expect(deliveries[0]!.request.body).toEqual(body);
    expect(deliveries[0]!.response).toEqual({ status: 200, body: offers, rawBody: JSON.stringify(offers) });
  });

  it("GET adds its query to the URL's own, sends no body, and records the full URL", async () => {
    const cart = { items: [] };
    const retailer = await startRetailer(cart);
    const { sender, deliveries } = startSender();
    const url = `http://${retailer.base}/cart/items?v=2`;
    const result = await sender.get(target(url, "cart_get"), { store_id: "store-1", session_id: "u 1" }, CartGetResponse);
    sender.close();

    expect(result.ok).toBe(true);
    expect(retailer.received.map((r) => [r.method, r.url, r.body])).toEqual([["GET", "/cart/items?v=2&store_id=store-1&session_id=u+1", ""]]);
    expect(deliveries[0]!.request.url).toBe(`http://${retailer.base}/cart/items?v=2&store_id=store-1&session_id=u+1`);
    expect(deliveries[0]!.request.body).toBeUndefined();
  });

  it("GET replaces a parameter of the same name in place, keeps the fragment in the record and sends none", async () => {
    const retailer = await startRetailer({ items: [] });
    const { sender, deliveries } = startSender();
    for (const suffix of ["?store_id=old&x=a%20b#frag", "?#", "#"]) {
      await sender.get(target(`http://${retailer.base}/c${suffix}`, "cart_get"), { store_id: "store-1", session_id: "ж 1" }, CartGetResponse);
    }
    sender.close();

    expect(retailer.received.map((r) => r.url)).toEqual([
      "/c?store_id=store-1&x=a+b&session_id=%D0%B6+1",
      "/c?store_id=store-1&session_id=%D0%B6+1",
      "/c?store_id=store-1&session_id=%D0%B6+1",
    ]);
    expect(deliveries.map((d) => d.request.url)).toEqual([
      `http://${retailer.base}/c?store_id=store-1&x=a+b&session_id=%D0%B6+1#frag`,
      `http://${retailer.base}/c?store_id=store-1&session_id=%D0%B6+1#`,
      `http://${retailer.base}/c?store_id=store-1&session_id=%D0%B6+1#`,
    ]);
  });

  it("a URL with user and password sends them as Basic authorization", async () => {
    const retailer = await startRetailer(offers);
    const { sender } = startSender();
    await sender.post(target(`http://sh%40p:p%3Ass@${retailer.base}/p`), { skus: ["milk-001"], store_id: "store-1" }, ProductsResponse);
    sender.close();

    expect(retailer.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from("sh@p:p:ss").toString("base64")}`);
  });

  it("under production rules a loopback URL is blocked_url, every time, and nothing is sent", async () => {
    const retailer = await startRetailer(offers);
    const { sender, deliveries } = startSender(true);
    const url = `http://${retailer.base}/p`;
    const results = [
      await sender.post(target(url), { skus: ["milk-001"], store_id: "store-1" }, ProductsResponse),
      await sender.post(target(url), { skus: ["milk-002"], store_id: "store-1" }, ProductsResponse),
    ];
    sender.close();

    expect(results).toEqual([{ ok: false, outcome: "blocked_url" }, { ok: false, outcome: "blocked_url" }]);
    expect(deliveries.map((d) => [d.outcome, d.error])).toEqual([
      ["blocked_url", "must use HTTPS"],
      ["blocked_url", "must use HTTPS"],
    ]);
    expect(retailer.received).toEqual([]);
  });
});

/** A retailer on a raw socket: records the bytes of every request, answers each with `reply(n)`. */
async function startRawRetailer(reply: (n: number, socket: Socket) => void): Promise<{ port: number; requests: string[]; connections: () => number; close(): void }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const raw = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      // One request is a head and, when it says so, a Content-Length body.
      for (;;) {
        const end = pending.indexOf("\r\n\r\n");
        if (end === -1) return;
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        requests.push(pending.slice(0, end + 4 + length));
        pending = pending.slice(end + 4 + length);
        reply(requests.length, socket);
      }
    });
  });
  raw.listen(0, "127.0.0.1");
  await once(raw, "listening");
  return {
    port: (raw.address() as AddressInfo).port,
    requests,
    connections: () => connections,
    close() {
      for (const socket of sockets) socket.destroy();
      raw.close();
    },
  };
}

const okJson = (body: string, extra = "") => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe("createWebhookSender() over plain HTTP, byte for byte", () => {
  it("writes exactly the bytes http.request with a keep-alive agent writes: POST, GET with query, Basic credentials", async () => {
    const answer = JSON.stringify(offers);
    const retailer = await startRawRetailer((_, socket) => socket.write(okJson(answer)));
    const at = 1_767_000_000_000;
    const sender = createWebhookSender({ retryDelayMs: 1, enforceProductionUrls: false, now: () => at, record: () => undefined });
    const body = { skus: ["milk-001", "молоко"], store_id: "store-1" };
    const base = `127.0.0.1:${retailer.port}`;
    await sender.post(target(`http://${base}/hooks/products?tenant=a%20b`), body, ProductsResponse);
    await sender.get(target(`http://${base}/cart/items?v=2`, "cart_get"), { store_id: "store-1", session_id: "u 1" }, CartGetResponse);
    await sender.post(target(`http://sh%40p:p%3Ass@${base}/p`), body, ProductsResponse);
    sender.close();

    // The same three requests through node:http.
    const agent = new HttpAgent({ keepAlive: true });
    const viaNode = async (path: string, method: string, headers: Record<string, string>, raw?: Buffer, auth?: string) => {
      await new Promise<void>((resolve, reject) => {
        const request = httpRequest({ hostname: "127.0.0.1", port: retailer.port, path, method, headers, agent, ...(auth !== undefined && { auth }) });
        request.on("response", (response) => response.resume().on("end", resolve));
        request.on("error", reject);
        request.end(raw);
      });
    };
    const rawBody = Buffer.from(JSON.stringify(body));
    const postHeaders = { ...signWebhook({ secret: SECRET, timestamp: at / 1000, body: rawBody.toString() }), "content-type": "application/json", "content-length": String(rawBody.length) };
    await viaNode("/hooks/products?tenant=a%20b", "POST", postHeaders, rawBody);
    await viaNode("/cart/items?v=2&store_id=store-1&session_id=u+1", "GET", { ...signWebhook({ secret: SECRET, timestamp: at / 1000, method: "GET" }) });
    await viaNode("/p", "POST", postHeaders, rawBody, "sh@p:p:ss");
    agent.destroy();
    retailer.close();

    expect(retailer.requests).toHaveLength(6);
    expect(retailer.requests.slice(0, 3)).toEqual(retailer.requests.slice(3));
    expect(retailer.requests[0]).toContain("\r\nConnection: keep-alive\r\n\r\n");
  });

  it("reads chunked, close-delimited and after-100-Continue answers; reuses the connection only when the answer allows it", async () => {
    const answer = JSON.stringify(offers);
    const replies = [
      (socket: Socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\n${okJson(answer)}`),
      (socket: Socket) => socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${answer.slice(0, 5)}\r\n${(answer.length - 5).toString(16)}\r\n${answer.slice(5)}\r\n0\r\n\r\n`),
      (socket: Socket) => socket.end(`HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${answer}`),
      (socket: Socket) => socket.write(okJson(answer)),
    ];
    const retailer = await startRawRetailer((n, socket) => replies[n - 1]!(socket));
    const { sender, deliveries } = startSender();
    const url = `http://127.0.0.1:${retailer.port}/p`;
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await sender.post(target(url), { skus: [`milk-00${i}`], store_id: "store-1" }, ProductsResponse));
    sender.close();
    retailer.close();

    expect(results).toEqual(Array.from({ length: 4 }, () => ({ ok: true, data: offers })));
    expect(deliveries.map((d) => d.response?.rawBody)).toEqual([answer, answer, answer, answer]);
    // The first three answers on one connection; the third closed it, so the fourth opened another.
    expect(retailer.connections()).toBe(2);
  });

  it("a kept-alive connection the retailer closed is replaced once, transparently; an answer cut short is a network_error", async () => {
    const answer = JSON.stringify(offers);
    const retailer = await startRawRetailer((n, socket) => {
      if (n === 2) socket.destroy(); // closes the reused connection without answering
      else if (n === 4) socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"products"`);
      else socket.write(okJson(answer));
    });
    const { sender, deliveries } = startSender();
    const url = `http://127.0.0.1:${retailer.port}/p`;
    const first = await sender.post(target(url), { skus: ["a"], store_id: "store-1" }, ProductsResponse);
    const second = await sender.post(target(url), { skus: ["b"], store_id: "store-1" }, ProductsResponse);
    const cut = await sender.post(target(url), { skus: ["c"], store_id: "store-1" }, ProductsResponse);
    sender.close();
    retailer.close();

    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(retailer.requests.map((r) => /"skus":\["(\w)"\]/.exec(r)?.[1])).toEqual(["a", "b", "b", "c"]);
    expect(cut).toEqual({ ok: false, outcome: "network_error" });
    expect(deliveries.map((d) => d.outcome)).toEqual(["ok", "ok", "network_error"]);
  });

  it("a retailer that never answers is a timeout, retried once on a new request", async () => {
    const retailer = await startRawRetailer(() => undefined);
    const { sender, deliveries } = startSender();
    const result = await sender.post({ ...target(`http://127.0.0.1:${retailer.port}/p`), timeoutMs: 50 }, { skus: ["a"], store_id: "store-1" }, ProductsResponse);
    sender.close();
    retailer.close();

    expect(result).toEqual({ ok: false, outcome: "timeout" });
    expect(deliveries.map((d) => [d.attempt, d.outcome])).toEqual([
      [1, "timeout"],
      [2, "timeout"],
    ]);
    expect(retailer.requests).toHaveLength(2);
  });
});
