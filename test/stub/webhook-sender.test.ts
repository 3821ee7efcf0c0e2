// The stub's webhook sender on the wire: what a retailer's server receives for each kind of URL,
// and what the sender records about it.
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "vizochok-merchant-kit";
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
