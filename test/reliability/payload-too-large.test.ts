// A body over the limit is answered 413, and a client still sending it reads that 413 instead of
// a reset connection: the adapters read and discard the rest (up to 1 MiB or 1 s) before answering.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import express from "express";
import { afterAll, describe, expect, it } from "vitest";
import { createNodeWebhookHandler, createWebhookRouter, createWebWebhookHandler, type WebhookKitOptions } from "vizochok-merchant-kit";
import { SECRET, createRecordingMerchant, signedPost, silent } from "../kit/merchant.js";
import { sendRaw, sendThenRead } from "./raw-http.js";

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** A Fetch API handler on a real node:http server, as a Request/Response framework runs it. */
function serveWeb(handler: (request: Request) => Promise<Response>) {
  return listen(async (req, res) => {
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method!,
      headers: req.headers as Record<string, string>,
      body: Readable.toWeb(req) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    const response = await handler(request);
    response.headers.forEach((value, name) => res.setHeader(name, value));
    res.writeHead(response.status);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

const PATH = "/api/vizochok/check-products";
const BIG = JSON.stringify({ skus: Array.from({ length: 30_000 }, (_, i) => `sku-${i}`), store_id: "store-1" }); // ~350 KB

const adapters: Array<[string, (options: WebhookKitOptions) => Promise<number>]> = [
  ["createWebhookRouter() (Express)", (options) => listen(express().use("/api/vizochok", createWebhookRouter(options)))],
  ["createNodeWebhookHandler()", (options) => listen(createNodeWebhookHandler({ ...options, paths: { products: PATH } }))],
  ["createWebWebhookHandler()", (options) => serveWeb(createWebWebhookHandler({ ...options, paths: { products: PATH } }))],
];

/** node:http's own client: writes the whole body in 16 KB pieces, 2 ms apart, then reads the answer. */
function postInPieces(port: number, chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...signedPost(BIG), "content-type": "application/json" };
    if (chunked) headers["transfer-encoding"] = "chunked";
    else headers["content-length"] = String(Buffer.byteLength(BIG));
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: PATH, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    // A client on a slower link: the body is still arriving when the server has decided.
    let at = 0;
    const writeNext = () => {
      if (at >= BIG.length) return void req.end();
      req.write(BIG.slice(at, (at += 16 * 1024)));
      setTimeout(writeNext, 2);
    };
    writeNext();
  });
}

describe.each(adapters)("%s: 413 reaches the client", (_name, start) => {
  let port: number;
  const merchant = createRecordingMerchant();
  it("fetch with a declared 350 KB body (limit 1 KB) reads 413 payload_too_large, five times over", async () => {
    port = await start({ secret: SECRET, handlers: merchant.handlers, bodyLimit: 1024, logger: silent });
    for (let i = 0; i < 5; i++) {
      const answer = await fetch(`http://127.0.0.1:${port}${PATH}`, { method: "POST", headers: { ...signedPost(BIG), "content-type": "application/json" }, body: BIG });
      expect(answer.status).toBe(413);
      expect(await answer.json()).toMatchObject({ error: "payload_too_large" });
    }
  });

  it("node:http with a declared length, written in pieces: 413", async () => {
    for (let i = 0; i < 5; i++) {
      const answer = await postInPieces(port, false);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "payload_too_large" });
    }
  });

  it("a client that writes the whole declared body before reading: 413, not a reset", async () => {
    const signed = signedPost(BIG);
    const head = [`POST ${PATH} HTTP/1.1`, "host: 127.0.0.1", "content-type: application/json", `content-length: ${Buffer.byteLength(BIG)}`]
      .concat(Object.entries(signed).filter(([name]) => name !== "content-type").map(([name, value]) => `${name}: ${value}`))
      .join("\r\n");
    for (let i = 0; i < 3; i++) {
      const answer = await sendThenRead(`http://127.0.0.1:${port}`, `${head}\r\n\r\n`, BIG, { pieceBytes: 16 * 1024, gapMs: 2 });
      expect(answer.error).toBeUndefined();
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "payload_too_large" });
    }
  });

  it("a client that stops sending halfway: 413 after the 1 s drain bound, then the connection closes", async () => {
    const head = [`POST ${PATH} HTTP/1.1`, "host: 127.0.0.1", "content-type: application/json", "content-length: 100000"].join("\r\n");
    const answer = await sendRaw(`http://127.0.0.1:${port}`, `${head}\r\n\r\n${"x".repeat(10_000)}`, { timeoutMs: 10_000 });
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/^connection: close$/im);
  });

  it("node:http chunked, no length: 413 once the body passes the limit", async () => {
    for (let i = 0; i < 5; i++) {
      const answer = await postInPieces(port, true);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "payload_too_large" });
    }
    expect(merchant.calls).toHaveLength(0);
  });
});
