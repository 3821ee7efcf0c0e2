import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeWebhookHandler, createWebWebhookHandler, type WebhookKitOptions } from "vizochok-merchant-kit";
import { SECRET, cartBody, createRecordingMerchant, productsBody, signedGet, signedPost, silent } from "./merchant.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Serves a Fetch API handler from a real node:http server, as Next.js, Hono or Deno would. */
function serveWeb(handler: (request: Request) => Promise<Response>) {
  return listen(async (req, res) => {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method!,
      headers: req.headers as Record<string, string>,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: "half" } : {}),
    } as RequestInit);
    const response = await handler(request);
    response.headers.forEach((value, name) => res.setHeader(name, value));
    res.writeHead(response.status);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

const paths = { products: "/hooks/check-products", cart: "/hooks/cart", cartGet: "/hooks/cart/items" };
const now = () => Date.now();
const ts = () => ({ timestamp: Math.floor(Date.now() / 1000) });

const adapters: [string, (options: WebhookKitOptions) => Promise<string>][] = [
  ["createNodeWebhookHandler()", (options) => listen(createNodeWebhookHandler(options))],
  ["createWebWebhookHandler()", (options) => serveWeb(createWebWebhookHandler(options))],
];

describe.each(adapters)("%s on a real server", (_name, start) => {
  const setup = async (extra: Partial<WebhookKitOptions> = {}) => {
    const merchant = createRecordingMerchant();
    const base = await start({ secret: SECRET, handlers: merchant.handlers, paths, now, logger: silent, ...extra });
    return { merchant, base };
  };

  it("200 for a signed products request", async () => {
    const { base } = await setup();
    const body = productsBody(["milk-001"]);
    const res = await fetch(`${base}/hooks/check-products`, { method: "POST", headers: signedPost(body, ts()), body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ products: [{ sku: "milk-001", price: 42.5, in_stock: true }] });
  });

  it("cart add then cart GET reflects it", async () => {
    const { base } = await setup();
    const body = cartBody({ action: "add", sku: "milk-001", quantity: 1.5 });
    const add = await fetch(`${base}/hooks/cart`, { method: "POST", headers: signedPost(body, ts()), body });
    expect(await add.json()).toEqual({ ok: true });
    const get = await fetch(`${base}/hooks/cart/items?store_id=store-1&session_id=session-1`, { headers: signedGet(ts()) });
    expect(await get.json()).toEqual({ items: [{ sku: "milk-001", name: "milk-001", price: 42.5, quantity: 1.5 }] });
  });

  it("401 for a wrong secret", async () => {
    const { base, merchant } = await setup();
    const body = productsBody();
    const res = await fetch(`${base}/hooks/check-products`, { method: "POST", headers: signedPost(body, { ...ts(), secret: "nope" }), body });
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe("signature_mismatch");
    expect(merchant.calls).toHaveLength(0);
  });

  it("400 for malformed JSON on products, 200 missing_params on cart", async () => {
    const { base } = await setup();
    const bad = "{not json";
    const products = await fetch(`${base}/hooks/check-products`, { method: "POST", headers: signedPost(bad, ts()), body: bad });
    expect(products.status).toBe(400);
    const badCart = '{"action":';
    const cart = await fetch(`${base}/hooks/cart`, { method: "POST", headers: signedPost(badCart, ts()), body: badCart });
    expect(await cart.json()).toEqual({ ok: false, reason: "missing_params" });
  });

  it("413 for a body over the limit sent without a length (chunked)", async () => {
    const { base, merchant } = await setup({ bodyLimit: 512 });
    const big = productsBody(Array.from({ length: 100 }, (_, i) => `sku-${i}`));
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await fetch(`${base}/hooks/check-products`, {
      method: "POST",
      headers: signedPost(big, ts()),
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(merchant.calls).toHaveLength(0);
  });

  it("415 for a non-JSON content type, 405 for a wrong method, 404 elsewhere", async () => {
    const { base } = await setup();
    const body = productsBody();
    const wrongType = await fetch(`${base}/hooks/check-products`, {
      method: "POST",
      headers: { ...signedPost(body, ts()), "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    expect(wrongType.status).toBe(415);
    const wrongMethod = await fetch(`${base}/hooks/cart/items`, { method: "POST", headers: signedPost(body, ts()), body });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    const elsewhere = await fetch(`${base}/nothing-here`);
    expect(elsewhere.status).toBe(404);
    expect((await elsewhere.json()).error).toBe("not_found");
  });

  it("answers 500 internal_error as JSON, never hangs, when the replay guard throws", async () => {
    const { base, merchant } = await setup({
      replayGuard: {
        begin: () => Promise.reject(new Error("redis down")),
        complete: () => {},
        release: () => {},
      },
    });
    const body = cartBody({ action: "add", sku: "milk-001" });
    const res = await fetch(`${base}/hooks/cart`, { method: "POST", headers: signedPost(body, ts()), body, signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "internal_error", message: expect.any(String) });
    expect(merchant.calls).toHaveLength(0);
  });

  it("answers a re-delivery 1.5 s later from the replay guard, and runs a copy sent right after the answer", async () => {
    let t = Date.now();
    const { base, merchant } = await setup({ now: () => t });
    const body = cartBody({ action: "add", sku: "milk-001" });
    const headers = signedPost(body, { timestamp: Math.floor(t / 1000) });
    const send = () => fetch(`${base}/hooks/cart`, { method: "POST", headers, body });
    await send();
    t += 100;
    expect(await (await send()).json()).toEqual({ ok: true });
    expect(merchant.carts.get("store-1\u0000session-1")?.get("milk-001")).toBe(2);
    t += 1_500;
    const again = await send();
    expect(again.headers.get("x-vizochok-replayed")).toBe("1");
    expect(await again.json()).toEqual({ ok: true });
    expect(merchant.carts.get("store-1\u0000session-1")?.get("milk-001")).toBe(2);
  });
});
