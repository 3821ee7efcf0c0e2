import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import supertest from "supertest";
import { describe, expect, it } from "vitest";
import { captureRawBody, createWebhookRouter, type RawBodyRequest } from "vizochok-merchant-kit";
import { NOW, SECRET, cartBody, createRecordingMerchant, productsBody, signedGet, signedPost, silent } from "./merchant.js";

// `\/` escapes vanish when JSON is re-serialized, so only the raw bytes verify this body.
const escapedBody = cartBody({ action: "add", sku: "bread-001", name: "Bread \\/ Хліб" }).replace("\\\\/", "\\/");

function appWith(parser: express.RequestHandler | undefined, bodyLimit?: number) {
  const merchant = createRecordingMerchant();
  const app = express();
  if (parser !== undefined) app.use(parser);
  app.use("/api/vizochok", createWebhookRouter({ secret: SECRET, handlers: merchant.handlers, now: () => NOW, logger: silent, ...(bodyLimit !== undefined && { bodyLimit }) }));
  return { app, agent: supertest(app), merchant };
}

/** POSTs `body` chunked (no Content-Length, so nothing is refused before a parser reads it). */
async function postChunked(app: express.Express, path: string, body: string): Promise<{ status: number; json: unknown }> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path, headers: { ...signedPost(body), "transfer-encoding": "chunked" } }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      });
      req.on("error", reject);
      for (let at = 0; at < body.length; at += 512) req.write(body.slice(at, at + 512));
      req.end();
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe("createWebhookRouter() behind other body parsers", () => {
  it("401 when a parser hands over re-serialized JSON instead of the bytes that were signed", async () => {
    // What a hand-written `rawBody = JSON.stringify(req.body)` does: `\/` becomes `/`.
    const reserializing: express.RequestHandler = (request, _response, next) => {
      (request as RawBodyRequest).rawBody = Buffer.from(JSON.stringify(request.body));
      next();
    };
    const merchant = createRecordingMerchant();
    const app = express();
    app.use(express.json(), reserializing);
    app.use("/api/vizochok", createWebhookRouter({ secret: SECRET, handlers: merchant.handlers, now: () => NOW, logger: silent }));
    const res = await supertest(app).post("/api/vizochok/cart").set(signedPost(escapedBody)).send(escapedBody);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("signature_mismatch");
    expect(merchant.calls).toHaveLength(0);
  });

  it.each([
    ["express.json({ verify: captureRawBody })", express.json({ verify: captureRawBody, limit: "1mb" })],
    ["express.raw()", express.raw({ type: "application/json", limit: "1mb" })],
  ])("413 when %s already read a body over the router's limit", async (_name, parser) => {
    const { app, merchant } = appWith(parser, 1_000);
    const body = productsBody(Array.from({ length: 200 }, (_, i) => `sku-${i}`));
    expect(body.length).toBeGreaterThan(1_000);
    const res = await postChunked(app, "/api/vizochok/check-products", body);
    expect(res).toEqual({ status: 413, json: { error: "payload_too_large", message: "body is larger than 1000 bytes" } });
    expect(merchant.calls).toHaveLength(0);
    // The same parser and route answer a body within the limit.
    expect((await postChunked(app, "/api/vizochok/check-products", productsBody(["milk-001"]))).status).toBe(200);
  });

  it("500 body_already_parsed, naming the fix, when a global express.json() ate the body", async () => {
    const { agent, merchant } = appWith(express.json());
    const res = await agent.post("/api/vizochok/cart").set(signedPost(escapedBody)).send(escapedBody).timeout(5000);
    expect(res.status).toBe(500);
    expect(res.body.error).toBe("body_already_parsed");
    expect(res.body.message).toContain("captureRawBody");
    expect(merchant.calls).toHaveLength(0);
  });

  it("verifies the original bytes with express.json({ verify: captureRawBody })", async () => {
    const { agent, merchant } = appWith(express.json({ verify: captureRawBody }));
    const res = await agent.post("/api/vizochok/cart").set(signedPost(escapedBody)).send(escapedBody);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    expect(merchant.calls[0]!.request).toMatchObject({ name: "Bread / Хліб" });
  });

  it("verifies the original bytes behind express.raw()", async () => {
    const { agent } = appWith(express.raw({ type: "application/json" }));
    const res = await agent.post("/api/vizochok/cart").set(signedPost(escapedBody)).send(escapedBody);
    expect(res.body).toEqual({ ok: true });
  });

  it("still rejects a tampered body when the raw bytes come from captureRawBody", async () => {
    const { agent } = appWith(express.json({ verify: captureRawBody }));
    const res = await agent
      .post("/api/vizochok/cart")
      .set(signedPost(escapedBody))
      .send(escapedBody.replace("bread-001", "bread-002"));
    expect(res.status).toBe(401);
  });

  it("cart GET works behind a global express.json() (a GET has no body to lose)", async () => {
    const { agent } = appWith(express.json());
    const res = await agent.get("/api/vizochok/cart/items?store_id=store-1&session_id=s").set(signedGet());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [] });
  });
});
